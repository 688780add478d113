"""Alarm panels reporting to the hub over SIA DC-09 (docs/dc09.md, docs/hub-api.md "Alarm
panels"): panel accounts (`api`, `cli`; their table is hub/core/panel_store.py, part of the
hub's one store), the TCP/UDP listener (`listener`), and a panel's events as its household's
alarms (`ingest`). `service` ties them to the app, `app.setup` wires it in.
"""
