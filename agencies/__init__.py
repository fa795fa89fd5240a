"""Agencies that supply locum social workers, and managed service providers acting for boroughs."""
