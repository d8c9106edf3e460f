"""Benchmarks that print figures beside their targets (./dev bench runs each file)."""
