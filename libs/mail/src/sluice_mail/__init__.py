"""Sluice email toolkit."""
