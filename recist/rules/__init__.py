"""rules (see its modules)."""
