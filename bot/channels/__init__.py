"""Channel adapters: they translate to and from bot.messages and know nothing of Rasa."""
