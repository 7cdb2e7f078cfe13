"""Audit trail (审计日志): an append-only record of every change."""
