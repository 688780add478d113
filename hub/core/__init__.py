"""The hub's core: its database (schema, storage and the stores it is made of, backups),
the alarm model, what staff and family see of a household, the live feed, GET /metrics, and
the state every slice shares (context.py). Imports no feature slice."""
