"""dicom (see its modules)."""
