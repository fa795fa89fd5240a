"""Shared pages and helpers: home pages per role, navigation, health check, error pages, exports."""
