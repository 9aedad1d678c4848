"""Sluice scheduler: fires due waits, recovers stale leases, re-drives stuck runs."""
