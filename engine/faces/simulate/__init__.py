"""Project leaders' payout simulation: what-if scenarios, forecasts and the distance to each rate, on
a copy of the data.

`loading` reads a scenario (YAML or JSON text, with the line of every problem), `scenario` is its
model, `base` reads the data to start from without writing, `checks` and `operations` apply the
changes (pure functions), `evaluator` evaluates the data again and again deciding only what a change
touched, `simulation` evaluates baseline and scenario with the same rule pack and `compare`
attributes every difference to a change; `forecast` turns the current pace into generated changes;
`distance` says what is still to be done for each rate. Outputs: `text` and `distance_text`
(terminal), `document` (JSON), `tables` and `workbook` (Excel), `chart`. Programme knowledge is in
`terms`. For the web: `api` (what its pages and `POST /api/simulations` call), `kept` (base data kept
between calls), `roundtrip` (the form's JSON and the YAML file), `fields` (the form's fields),
`saved` (saved scenarios).
"""
