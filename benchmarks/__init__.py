"""Performance figures for `make bench`. Each module measures one capability and prints its figures."""
