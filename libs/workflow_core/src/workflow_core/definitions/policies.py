"""Retry and on-error policies (SPEC section 3 and 7)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from workflow_core.definitions.base import WireModel
from workflow_core.errors import ErrorCategory


class RetryPolicy(WireModel):
    """``maxAttempts`` counts the first attempt; delay after failed attempt n is
    ``min(maxDelayMs, backoffMs * backoffMultiplier**(n-1))``, times a uniform
    factor in [0.8, 1.2] when ``jitter`` is on."""

    max_attempts: int = Field(ge=1, le=100)
    backoff_ms: int = Field(default=1000, ge=0)
    backoff_multiplier: float = Field(default=2.0, ge=1.0, le=100.0)
    max_delay_ms: int | None = Field(default=None, ge=0)
    jitter: bool = True
    retry_on: list[ErrorCategory] = Field(default_factory=lambda: [ErrorCategory.TRANSIENT])

    @model_validator(mode="after")
    def _cap_not_below_base(self) -> RetryPolicy:
        if self.max_delay_ms is not None and self.max_delay_ms < self.backoff_ms:
            raise ValueError("maxDelayMs must be >= backoffMs")
        return self


class OnErrorPolicy(WireModel):
    policy: Literal["fail", "continue"] = "fail"
