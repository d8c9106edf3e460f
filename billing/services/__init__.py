"""Capabilities of the backend: each function one unit of work, the only place that commits."""
