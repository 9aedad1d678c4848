"""Sluice help-desk domain."""
