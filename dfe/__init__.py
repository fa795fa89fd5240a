"""The DfE statutory agency return and the workforce census's agency-worker items, made from the Pledge
returns (issue feature 6: one entry, both returns). ``mapping.py`` is the one declared place for DfE's columns,
codes, rules and windows."""
