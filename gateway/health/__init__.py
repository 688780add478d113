"""Health monitors over Bluetooth: what a connection does, and what a reading means.

Protocol and device logic only (no Home Assistant): the integration discovers and connects,
this package runs the session over a connected client and turns decoded measurements into
readings (LOINC codes, UCUM units, device timestamps) that are recognised when re-sent.
"""
