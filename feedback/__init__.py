"""The customer-experience rules, free of Rasa and the web: sentiment, service recovery and
compensation, surveys, the metrics engine, reports and exports. Reads and writes through
bot.storage's models, and nothing else of bot."""
