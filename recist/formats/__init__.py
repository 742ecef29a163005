"""formats (see its modules)."""
