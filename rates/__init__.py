"""Role categories, versioned rate cards and the rate check (issue: capped-rate tables)."""
