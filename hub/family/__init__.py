"""The family portal: a family member's page of their own household (api.py) and its live
feed (live.py)."""
