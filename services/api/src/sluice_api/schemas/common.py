"""Shared wire shapes: the camelCase base, lists, operator bodies (problems: ``sluice_http``)."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

T = TypeVar("T")
INT_MAX = 2**31 - 1  # PostgreSQL integer: version numbers, and the largest page size asked for


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python; accepts either on input."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True
    )


class Page(WireModel, Generic[T]):
    """Every list: one page of items and the cursor of the next page, if any."""

    items: list[T]
    next_cursor: str | None = None


class OperatorRequest(WireModel):
    """Body of an operator control: why (required, audited)."""

    reason: str = Field(min_length=1, max_length=2000)
