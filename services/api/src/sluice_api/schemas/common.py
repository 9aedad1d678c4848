"""Shared wire shapes: the camelCase base, lists, operator bodies (problems: ``sluice_http``)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

T = TypeVar("T")
INT_MAX = 2**31 - 1  # PostgreSQL integer: version numbers, and the largest page size asked for


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python; accepts either on input."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True
    )


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339(value: Any) -> Any:
    """Only RFC 3339 text (what ``format: date-time`` promises): pydantic alone would
    also read ``0.5`` as a Unix time and a date without a zone as local time."""
    if isinstance(value, str) and not _RFC3339.match(value):
        raise ValueError("expected an RFC 3339 date-time with a zone, such as 2025-01-31T09:00:00Z")
    return value


Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]
"""A query or body date-time: RFC 3339 with a zone (``Z`` or an offset)."""


class Page(WireModel, Generic[T]):
    """Every list: one page of items and the cursor of the next page, if any."""

    items: list[T]
    next_cursor: str | None = None


class OperatorRequest(WireModel):
    """Body of an operator control: why (required, audited)."""

    reason: str = Field(min_length=1, max_length=2000)
