"""Sluice scheduler."""
