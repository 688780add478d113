"""The alarm desk: the dispatch screen (screen.py), the alarm card and staff steps over HTTP
(api.py, staff.py), and the desk's escalation timers (timers.py)."""
