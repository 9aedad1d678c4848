"""E2E fixtures (defined in ``e2e_support.fixtures``, shared with the chaos suite)."""

from e2e_support.fixtures import (
    e2e_database,
    e2e_pool,
    e2e_topics,
    producer,
    services_factory,
    sink,
)

__all__ = ["e2e_database", "e2e_pool", "e2e_topics", "producer", "services_factory", "sink"]
