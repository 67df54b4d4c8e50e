"""The Telegram channel: updates in, formatted messages out."""
