"""Shared infrastructure of the hub with no hub knowledge: the database thread, SQL
helpers, JSON bodies, logs, keys and password hashing. Imports nothing of the hub."""
