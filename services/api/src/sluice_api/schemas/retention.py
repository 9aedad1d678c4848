"""Wire shapes of retention policies and legal holds (SPEC 10; issue 19's contract)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from sluice_api.schemas.common import OperatorRequest, WireModel

Days = Field(ge=1, le=36500, description="days after completion (1 to 100 years)")


class RetentionPolicyPut(OperatorRequest):
    """A tenant default (``scope`` ``*``) or one workflow's policy; unset kinds keep
    the tenant default (or the server's ``WF_RETENTION_DAYS``)."""

    scope: str = Field(
        pattern=r"^(\*|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$",
        description="'*' for the tenant's default, or a workflow id",
        examples=["*"],
    )
    runs_days: int = Days
    events_days: int | None = Field(default=None, ge=1, le=36500)
    dead_letters_days: int | None = Field(default=None, ge=1, le=36500)


class RetentionPolicyPublic(WireModel):
    scope: str
    runs_days: int
    events_days: int
    dead_letters_days: int
    updated_at: datetime | None = None
    updated_by: str | None = None


class RetentionPoliciesPublic(WireModel):
    default_days: int = Field(description="the server's default where no policy applies")
    items: list[RetentionPolicyPublic]


class LegalHoldPublic(WireModel):
    run_id: uuid.UUID
    placed_at: datetime
    placed_by: str
    reason: str
