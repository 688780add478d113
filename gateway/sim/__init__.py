"""Simulated Zigbee household: a radio that the real zigpy + ZHA stack drives, and virtual devices.

Used by the tests and `make demo` only; production code paths never import it. Frames between the
radio and the devices are real ZDO/ZCL bytes, serialized and parsed by zigpy.
"""
