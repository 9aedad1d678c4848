"""The ``Idempotency-Key`` header (SPEC 13) on run starts and event submissions.

The key is reserved, the work done and its response stored in ONE
transaction: if the work fails, the reservation rolls back with it and the
key is free again; a concurrent request with the same key waits for the first
to commit and then answers with the stored response. Same key with a
different body is refused (422 ``IDEMPOTENCY_KEY_REUSED``). Keys last 24 h.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import asyncpg
from fastapi import Header
from sluice_http import ProblemError
from sluice_storage.http_idempotency import HttpIdempotencyRepository

from sluice_api.context import ApiContext
from sluice_api.roles import Principal

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key", min_length=1, max_length=255,
        description="same key + same body within 24 h -> the same response, done once",
    ),
]  # fmt: skip
Work = Callable[[asyncpg.Connection], Awaitable[tuple[int, dict[str, Any]]]]


def request_hash(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def idempotent(
    ctx: ApiContext, who: Principal, scope: str, key: str | None, body: Any, work: Work
) -> tuple[int, dict[str, Any]]:
    """Run ``work`` once per key; ``(status, response body)``, fresh or replayed."""
    async with ctx.tx() as conn:
        if key is None:
            return await work(conn)
        repo = HttpIdempotencyRepository(conn, who.tenant_id)
        digest = request_hash(body)
        earlier = await repo.reserve(scope, key, digest, ctx.clock())
        if earlier is None:
            status, response = await work(conn)
            await repo.store(scope, key, status, response)
            return status, response
    if earlier.request_hash != digest:
        detail = f"Idempotency-Key {key!r} was used with a different request body in the last 24 h"
        raise ProblemError(422, "IDEMPOTENCY_KEY_REUSED", detail)
    if earlier.status_code is None:  # cannot happen: the owner stores before it commits
        raise ProblemError(409, "CONFLICT", f"Idempotency-Key {key!r} is still in progress")
    return earlier.status_code, earlier.response
