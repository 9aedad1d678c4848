"""Human tasks on the wire."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from sluice_api.schemas.common import WireModel


class TaskStatus(StrEnum):
    OPEN = "OPEN"
    CLAIMED = "CLAIMED"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"


class HumanTaskPublic(WireModel):
    """SPEC 13 "human task"."""

    task_id: uuid.UUID
    run_id: uuid.UUID
    task_type: str
    title: str
    description: str | None = None
    status: TaskStatus
    form_schema: dict[str, Any]
    assignee: str | None = None
    claimed_by: str | None = None
    output: Any = None
    created_at: datetime
    completed_at: datetime | None = None


class TaskSummaryPublic(WireModel):
    """The inbox's size: tasks someone still has to do."""

    open: int = Field(description="tasks nobody claimed yet")
    claimed: int = Field(description="tasks claimed, not completed")
