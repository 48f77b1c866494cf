"""Deliveries: reading and validating a folder of CSV files (`delivery.py`), importing it
(`importing.py`, `storing.py`), and reading back what was known after delivery N (`timelines.py`)."""

TIMELINE_KINDS = ("residence", "support", "match", "programmes", "visitations", "activities", "exemptions")
"""The kinds of timeline rows, a file of a delivery each, in the order of the delivery's files
(`delivery.TIMELINE_FILES`, which tests/test_import_delivery.py checks against this)."""
