"""The `fsm` command line. Commands are thin: the logic lives in the modules they call. Each module
of this package adds its commands to the one application (`common.py`), in the order `fsm --help`
lists them. Every command, `fsm --help` included, imports every module of this package, so what
only some commands need (the web, matplotlib, openpyxl, argon2, the nightly run's pipeline) is
imported inside them."""

# isort: skip_file
from engine.faces.cli.common import app
from engine.faces.cli import rules, db, deliveries, runs, demo, simulate, distance, web  # noqa: F401 - they add their commands

__all__ = ["app"]
