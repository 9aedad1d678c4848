"""Sluice local stack."""
