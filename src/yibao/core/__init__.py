"""Shared infrastructure: database, unit of work, security context."""
