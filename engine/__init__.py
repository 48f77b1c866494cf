"""The engine, in four layers; each imports only from the layers above it in this list (and `models/`):

- `engine/input/`: deliveries — reading and validating CSV files, storing them with their history,
  and reading back what was known after delivery N;
- `engine/rules/`: the rule packs (`rules/<programme>/`) compiled for durable-rules, the facts they
  look at (`facts/`), and each programme's project: target group, statuses, rates (`programmes/`);
- `engine/runs/`: the nightly run, stored runs read back, diffs, replay and exports;
- `engine/faces/`: what people use — the command line (`cli/`), the web UI (`web/`), simulations
  and forecasts (`simulate/`), and the rendering, charts and users they share.

`engine/synthetic/` makes demo and benchmark data; `engine/collector.py` is a small shared utility.
"""
