"""What people use: the command line (`cli/`), the web UI and API (`web/`), simulations and
forecasts (`simulate/`), and what they share: rendering (`render.py`), charts, users."""
