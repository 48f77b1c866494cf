"""Project leaders' payout simulation: what-if scenarios and forecasts on a copy of the data.

`loading` reads a scenario file (with lines for every error), `scenario` is its model, `base` reads
the data to start from without writing, `checks` and `operations` apply the changes (pure functions),
`simulation` evaluates baseline and scenario with the same rule pack and `compare` attributes every
difference to a change; `forecast` turns the current pace into generated changes. Outputs: `text`,
`document` (JSON), `tables` and `workbook` (Excel), `chart`. Programme knowledge is in `terms`.
"""
