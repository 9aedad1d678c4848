"""Dead letters on the wire."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from sluice_api.schemas.common import WireModel


class DeadLetterPublic(WireModel):
    id: uuid.UUID
    topic: str
    partition: int
    offset: int
    key: str | None = None
    payload: Any = None
    headers: dict[str, str]
    reason: str
    created_at: datetime
    requeued_at: datetime | None = None


class DeadLetterSummaryPublic(WireModel):
    waiting: int = Field(description="letters not requeued yet")
    requeued: int = Field(description="letters requeued at least once")
