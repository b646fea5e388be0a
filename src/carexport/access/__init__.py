"""Who may do what: organisations, users, roles, API tokens, web sessions and the audit log."""
