"""Regions, sub-regions and boroughs (local authorities): the public bodies that signed the Pledge."""
