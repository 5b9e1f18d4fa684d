"""The screening engine: policy packs, rule checking and compilation, batch screening.

Plain Python with no Django import, so that it runs inside the web process for a county, and on a
Spark cluster for the nation, with the same compiled SQL. It takes tables (Arrow) and a policy pack
and returns tables. See ``docs/decisions/0003-screening-engine.md``.
"""
