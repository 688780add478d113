"""The hub on the web, for every slice: who is asking (access.py), the security headers, the
hub's own files (static.py) and what every live screen's WebSocket shares. Imports only
the core and hub/policy.py."""
