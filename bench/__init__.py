"""`make bench` (`python -m bench`, bench/__main__.py): one module per section (codecs, link,
dispatch, dc09; gas-to-valve is a test under pytest and a real Home Assistant) and what they
share: harness (the hub under load), args, sampling, stats, workers, gateways. Not part of
`make test` (pyproject's testpaths are tests/ only)."""
