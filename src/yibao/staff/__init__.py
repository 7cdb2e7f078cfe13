"""Staff accounts (用户), roles, sessions."""
