"""Alarm panels reporting to the hub over SIA DC-09 (docs/dc09.md, docs/hub-api.md "Alarm
panels"): panel accounts (`store`, `api`, `cli`), the TCP/UDP listener (`listener`), and a
panel's events as its household's alarms (`ingest`). `service` ties them to the app.

Kept free of imports so that `hub.storage` can use `hub.panels.store` without a cycle.
"""
