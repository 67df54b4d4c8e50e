"""The staff console: web routes, templates and static files."""
