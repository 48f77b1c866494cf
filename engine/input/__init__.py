"""Deliveries: reading and validating a folder of CSV files (`delivery.py`), importing it
(`importing.py`, `storing.py`), and reading back what was known after delivery N (`timelines.py`)."""
