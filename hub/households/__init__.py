"""The household registry over HTTP (api.py): households, residents with their thresholds,
contacts and enrollment codes."""
