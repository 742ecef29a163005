"""export (see its modules)."""
