"""Contract fixtures (``contract_stack``), on the e2e fixtures (``e2e_support``)."""

from contract_stack import contract_target
from e2e_support.fixtures import e2e_database, e2e_pool, e2e_topics, services_factory

__all__ = ["contract_target", "e2e_database", "e2e_pool", "e2e_topics", "services_factory"]
