"""Tests of the review store (issue 15)."""
