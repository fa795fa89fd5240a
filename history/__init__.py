"""Synthetic national history for benches and demos: years of accepted quarterly returns for every
authority in England, marked so that only it is ever deleted (``manage.py generate_synthetic_history``)."""
