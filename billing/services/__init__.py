"""Services: one module per capability, each function one unit of work that commits."""
