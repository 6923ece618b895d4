"""Moderation: staff roles, account status (suspend, disable, reactivate), removing content, and the
append-only audit log of every staff action."""
