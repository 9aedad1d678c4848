"""Sluice storage."""
