"""The rules layer: packs parsed (`pack.py`) and compiled for durable-rules (`compile.py`), the only
module that uses durable-rules (`runner.py`), decisions and traces (`decide.py`), money (`payout.py`),
the facts the rules look at (`facts/`) and each programme's project (`programmes/`)."""
