"""Web pages for staff: the manager dashboard (mounted behind the staff console login)."""
