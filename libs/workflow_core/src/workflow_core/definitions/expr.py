"""``Expr``: a JSONata expression embedded in a definition as ``{"$expr": "..."}``."""

from __future__ import annotations

from typing import Any, TypeGuard

from pydantic import ConfigDict, Field

from workflow_core.definitions.base import WireModel

EXPR_KEY = "$expr"


class Expr(WireModel):
    """A JSONata expression; any config value may nest these at any depth."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    source: str = Field(alias=EXPR_KEY)


def is_expr(value: Any) -> TypeGuard[dict[str, str]]:
    """True for the JSON form of an Expr: exactly ``{"$expr": "<string>"}``."""
    return (
        isinstance(value, dict)
        and len(value) == 1
        and EXPR_KEY in value
        and isinstance(value[EXPR_KEY], str)
    )
