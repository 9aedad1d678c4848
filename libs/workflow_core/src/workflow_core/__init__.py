"""Sluice pure workflow core."""
