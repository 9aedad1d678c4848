"""Sluice interpreter."""
