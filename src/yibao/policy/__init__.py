"""Benefit policy as versioned configuration (待遇政策配置)."""
