"""Household side of Eldercare Gateway: alarm model, wire protocol and the care-center link.

No Home Assistant imports here: the `eldercare` integration is glue around this library.
"""
