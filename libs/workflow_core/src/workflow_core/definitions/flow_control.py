"""Flow control settings of a definition (issue 19): ``concurrency`` and ``autoPause``.

``concurrency``: at most ``limit`` runs of the workflow in flight (RUNNING or
WAITING) per value of ``key`` (an expression over the payload; without one, the
whole workflow is one key). A start past the limit is queued (``QUEUE``, the
default: the run exists as QUEUED and begins in arrival order as slots free),
ended CANCELED (``CANCEL_NEW``) or FAILED (``FAIL_NEW``), each with the reason.
The shell counts and locks (``sluice_engine.concurrency``); the core decides
(``workflow_core.concurrency``).

``autoPause``: the workflow is paused (the pause of ``sluice_engine.pausing``)
when, over the last ``window`` (ISO 8601 duration, ``PT5M``), at least
``minRuns`` runs ended and the share of them that FAILED is at least
``failureRate``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from workflow_core.definitions.base import WireModel
from workflow_core.definitions.expr import Expr

# Slots per key: a limit is a guard for a downstream system, not a queue size.
MAX_CONCURRENCY_LIMIT = 10_000
OnLimit = Literal["QUEUE", "CANCEL_NEW", "FAIL_NEW"]


class Concurrency(WireModel):
    """``{"limit": 2, "key": {"$expr": "payload.customerId"}, "onLimit": "QUEUE"}``."""

    limit: int = Field(ge=1, le=MAX_CONCURRENCY_LIMIT)
    key: Expr | None = None
    on_limit: OnLimit = "QUEUE"


class AutoPause(WireModel):
    """``{"failureRate": 0.5, "window": "PT5M", "minRuns": 20}``."""

    failure_rate: float = Field(gt=0, le=1)
    window: str = Field(default="PT5M", min_length=2, max_length=40)
    min_runs: int = Field(default=20, ge=1, le=1_000_000)
