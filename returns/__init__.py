"""Reporting periods, quarterly returns, validation, workflow, dashboards and packs (issue: returns)."""
