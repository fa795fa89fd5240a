"""``make bench-load``: the portal in production shape under deadline-day load (see ``__main__``)."""
