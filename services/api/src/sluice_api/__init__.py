"""Sluice api."""
