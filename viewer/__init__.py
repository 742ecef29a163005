"""The recist napari plugin: reader, widgets and sample data (Qt lives only here)."""
