"""Upgrade fixtures: the e2e fixtures (``e2e_support.fixtures``) for the generator."""

from e2e_support.fixtures import e2e_database, e2e_pool, e2e_topics, producer, services_factory

__all__ = ["e2e_database", "e2e_pool", "e2e_topics", "producer", "services_factory"]
