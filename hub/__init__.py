"""Care-center hub: ingest from gateways, the alarm desk and the dispatch screen."""
