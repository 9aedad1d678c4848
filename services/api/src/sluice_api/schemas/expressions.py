"""Wire shapes of the expression preview ("try it" in the designer)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, JsonValue

from sluice_api.schemas.common import WireModel

# The longest source compile_expression accepts is checked by the core itself;
# this bound only keeps a request from carrying megabytes of text.
MAX_PREVIEW_SOURCE = 10_000


class ExpressionPreviewRequest(WireModel):
    """An expression and a sample envelope, evaluated as a run step would."""

    expression: str = Field(min_length=1, max_length=MAX_PREVIEW_SOURCE)
    payload: dict[str, Any] = Field(default_factory=dict, description="sample payload")
    vars: dict[str, Any] = Field(default_factory=dict, description="sample vars")
    meta: dict[str, Any] = Field(default_factory=dict, description="sample meta")
    error: dict[str, Any] | None = Field(
        default=None, description="sample error, as inside a tryCatch catch pipe"
    )
    event: dict[str, Any] | None = Field(
        default=None, description="sample event, as inside an event wait's assign"
    )


class ExpressionErrorPublic(WireModel):
    code: str = Field(description="Sluice's code: INVALID_EXPR, DISALLOWED_FUNCTION, ...")
    message: str
    position: int | None = Field(
        default=None, description="offset in the expression just past the offending token"
    )
    jsonata_code: str | None = Field(default=None, description="JSONata's own code, e.g. S0202")


class ExpressionPreviewResult(WireModel):
    ok: bool
    result: JsonValue = Field(default=None, description="the value (null when undefined)")
    error: ExpressionErrorPublic | None = None
