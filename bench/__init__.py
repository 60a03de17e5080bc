"""Benchmarks (``make bench``): each writes JSON results under ``bench-results/``."""
