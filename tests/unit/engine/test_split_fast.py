"""Which requests of a polled batch the executor's fast path takes (pure)."""

from __future__ import annotations

import uuid

from plugins.test_actions import register
from sluice_engine import ActionHandlers, split_fast
from sluice_engine.jobs import NewJob
from workflow_core.registry import create_registry


def _handlers() -> ActionHandlers:
    handlers = ActionHandlers()
    register(create_registry(), handlers)
    return handlers.freeze()


def _request(action: str, key: str, tenant: str = "t") -> NewJob:
    body = {"actionId": action, "version": 1, "idempotencyKey": key}
    return NewJob(tenant, str(uuid.uuid4()), str(uuid.uuid4()), body)


def test_split_fast_takes_transactional_requests_only() -> None:
    record, flaky, unknown = (
        _request("test.record", "a"),
        _request("test.flaky", "b"),
        _request("test.nope", "c"),
    )
    assert split_fast(_handlers(), [record, flaky, unknown]) == ([record], [flaky, unknown])


def test_split_fast_leaves_requests_sharing_an_invocation_to_the_job_path() -> None:
    first, again, other = (
        _request("test.record", "k"),
        _request("test.record", "k"),
        _request("test.record", "k", tenant="u"),
    )
    assert split_fast(_handlers(), [first, other, again]) == ([other], [first, again])
