"""Sluice messaging."""
