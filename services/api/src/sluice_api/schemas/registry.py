"""Registry discovery on the wire: what the designer's palette needs."""

from __future__ import annotations

from typing import Any, Literal

from sluice_api.schemas.common import WireModel


class NodeTypePublic(WireModel):
    type: str
    kind: str
    config_schema: dict[str, Any]
    ui: dict[str, Any]
    default_retry: dict[str, Any] | None = None


class ActionPublic(WireModel):
    action_id: str
    version: int
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    side_effectful: bool
    idempotency: str
    retry_hint: dict[str, Any] | None = None
    ui: dict[str, Any]


class SchemaPublic(WireModel):
    ref: str
    json_schema: dict[str, Any]


class FunctionPublic(WireModel):
    """One function an expression may call (the sandbox allowlist, SPEC 5)."""

    name: str
    kind: Literal["helper", "builtin"]
    call_as: list[str]
