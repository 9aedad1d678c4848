"""Help-desk action fixtures (helpers live in ``action_harness``)."""

from __future__ import annotations

import asyncpg
import pytest
from action_harness import CallAction, action_caller


@pytest.fixture
def call_action(pool: asyncpg.Pool, tenant_id: str) -> CallAction:
    """``await call_action(action_id, args, key=...)``: the handler in a committed transaction."""
    return action_caller(pool, tenant_id)
