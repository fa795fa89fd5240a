"""Reporting units and periods, quarterly returns, validation, workflow and exports (issue: returns). The
dashboards, the compliance packs and the synthetic history have apps of their own."""
