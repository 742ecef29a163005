"""Dock widgets of the recist napari plugin."""
