"""Channel adapters: they translate to and from bot.conversation.messages and know nothing of Rasa."""
