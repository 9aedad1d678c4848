"""Definitions on the wire: drafts in, versions and publish reports out."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from sluice_api.schemas.common import WireModel

DefinitionCreate = dict[str, Any]  # any JSON object of the SPEC 3 shape; checked at publish


class PausePublic(WireModel):
    """Why and since when a workflow's triggers start no runs."""

    at: datetime
    reason: str
    by: str


class DefinitionPublic(WireModel):
    """One definition in the list: its draft's name and its latest published version."""

    id: uuid.UUID
    name: str
    latest_version: int | None = None
    trigger_event: str | None = None
    created_at: datetime
    updated_at: datetime
    paused: PausePublic | None = Field(default=None, description="set while paused")


class PauseResult(WireModel):
    """A pause or unpause: the definition's pause state after it, and for an unpause
    the runs started from the events held meanwhile (in arrival order)."""

    id: uuid.UUID
    paused: PausePublic | None = None
    started_run_ids: list[uuid.UUID] = Field(default_factory=list)
    start_errors: list[dict[str, Any]] = Field(
        default_factory=list, description="held events whose run could not start (as routing)"
    )


class DefinitionVersionPublic(WireModel):
    """SPEC 13 "definition version": the draft or one immutable published version."""

    id: uuid.UUID
    version: Literal["draft"] | int
    name: str
    definition: dict[str, Any]
    published_at: datetime | None = None
    published_by: str | None = None
    payload_schema: dict[str, Any] | None = Field(
        default=None, description="the payload JSON Schema stored at publish (field picker)"
    )
    updated_at: datetime | None = None


class PublishErrorPublic(WireModel):
    severity: Literal["error", "warning"]
    step_path: str
    step_id: str | None = None
    code: str
    message: str
    pointer: str | None = Field(
        default=None,
        description="JSON pointer of the value at fault in the definition document",
        examples=["/steps/1/try/3/config/args/ticketId"],
    )


class PublishResult(WireModel):
    """Always 200: ``ok`` false with located errors when the draft cannot be published."""

    ok: bool
    published_version: int | None = None
    errors: list[PublishErrorPublic]
