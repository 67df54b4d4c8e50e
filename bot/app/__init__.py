"""The application: settings, the one wiring place (server), the command line."""
