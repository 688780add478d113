"""Trust for Eldercare Gateway: keys, enrollment codes, signing and verification."""
