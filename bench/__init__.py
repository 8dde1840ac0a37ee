"""Benchmarks: ``make bench`` (``python -m bench``). See bench/README.md for the protocol."""
