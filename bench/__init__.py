"""Benchmarks that need a real Home Assistant (run by `make bench`, not by `make test`)."""
