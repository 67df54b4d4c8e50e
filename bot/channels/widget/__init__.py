"""The website widget: routes, protocol, identity, history and static files."""
