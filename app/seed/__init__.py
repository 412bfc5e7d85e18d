"""Demo data: a deterministic, realistic two-year history for `flask seed-demo`.

`catalog` and `demand` build the reference data and the demand process, `simulate`
runs the day-by-day stock simulation (pure numpy, no database), `load` writes the
resulting plan through the stock service, and `cli` is the command.
"""
