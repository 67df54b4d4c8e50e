"""cxbot: a customer-experience chatbot and feedback collector built on Rasa."""

__version__ = "0.1.0"
