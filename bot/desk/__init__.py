"""The staff desk: people taking over conversations from the bot, and handing them back."""
