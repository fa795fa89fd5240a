"""Compliance packs (DESIGN.md section 6): a period's PDF and workbook for the steering group, built by a
background job from the dashboards' figures, stored with checksums, every download audited."""
