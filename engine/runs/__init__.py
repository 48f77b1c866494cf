"""Runs: the nightly run (`run.py`, in parallel by `batch.py`), stored runs read back and compared
(`results.py`), replay (`audit.py`) and exports (`export.py`)."""
