"""People and their sign-in: the session pages (session.py), sign-in behind its throttle
(login.py, throttle.py, unlocks.py), accounts and the audit trail over HTTP (api.py), and
the `python -m hub user` commands (cli.py)."""
