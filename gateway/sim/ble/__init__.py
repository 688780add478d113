"""Simulated Bluetooth health monitors and the virtual Bluetooth proxy that serves them to HA.

The devices (`devices.py`) are GATT servers (`gatt.py`) with the behaviour of real monitors:
they advertise only while they have something to say, accept one central, indicate stored
measurements once subscribed and hang up afterwards. `proxy_server.py` serves a household of
them over a small JSON-lines protocol (`wire.py`) on 127.0.0.1, as an ESPHome proxy's radio
would; `proxy_client.py` is the Home Assistant side: a habluetooth remote scanner plus a bleak
backend client. Used by the tests and `make demo` only.
"""
