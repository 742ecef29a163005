"""Deterministic synthetic CT study with known lesions (an independent oracle).

Imports nothing from recist or measurements, so its ground truth is independent.
"""
