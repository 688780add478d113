"""The gateways' side of the hub: enrollment, each gateway's signed WebSocket
(connection.py), the open links and what is pushed over them (links.py), and link
supervision (supervision.py, link_watch.py, restore_watch.py)."""
