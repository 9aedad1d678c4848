"""Chaos fixtures (defined in ``e2e_support.fixtures``, shared with the e2e suite)."""

from e2e_support.fixtures import e2e_database, e2e_pool, e2e_topics, services_factory, sink

__all__ = ["e2e_database", "e2e_pool", "e2e_topics", "services_factory", "sink"]
