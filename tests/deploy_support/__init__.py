"""Helpers of the offline deployment checks (tests/deploy)."""
