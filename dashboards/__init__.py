"""Dashboards (DESIGN.md section 6): regional, borough and agency pages on the shared figures of accepted
returns (``dashboards.figures``), which the compliance packs read too."""
