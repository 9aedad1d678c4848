"""Wire shape of an audit entry (issue 19's contract: extend, don't rename)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from sluice_api.schemas.common import WireModel


class AuditEventPublic(WireModel):
    audit_id: str = Field(description="increasing within a tenant")
    at: datetime
    tenant_id: str
    actor: str = Field(description="the token's subject, or `cli` for the sluice command")
    role: str | None = Field(description="the actor's role then (null for entries before 0010)")
    action: str = Field(examples=["definition.publish", "run.retry", "token.create"])
    target: str | None = Field(description="the id acted on: definition, run, task, token...")
    reason: str | None = None
    details: dict[str, Any] | None = None
