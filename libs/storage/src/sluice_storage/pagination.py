"""Cursor pagination shared by every list (SPEC 13).

A cursor is opaque to clients: base64url of ``[list name, sort key, id]``.
Keyset pagination over ``(sort key, id)`` stays fast at any depth and never
skips or repeats a row when new rows arrive between pages.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import asyncpg

from sluice_storage.errors import InvalidCursorError

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
T = TypeVar("T")
SortKey = datetime | int | str | uuid.UUID


def where_clause(tenant_id: str, conditions: Sequence[tuple[str, Any]]) -> tuple[str, list[Any]]:
    """``tenant_id = $1 AND ...`` for a list's filters: each ``(template, value)`` whose
    value is not ``None`` adds ``template`` with its ``{}`` replaced by the next ``$n``."""
    clauses, args = ["tenant_id = $1"], [tenant_id]
    for template, value in conditions:
        if value is not None:
            args.append(value)
            clauses.append(template.format(len(args)))
    return " AND ".join(clauses), args


def clamp_limit(limit: int | None) -> int:
    """``None`` -> 50; values above 500 are clamped (SPEC 13); below 1 -> 1."""
    if limit is None:
        return DEFAULT_LIMIT
    return max(1, min(limit, MAX_LIMIT))


def _encode_value(value: SortKey) -> list[Any]:
    if isinstance(value, datetime):
        return ["t", value.isoformat()]
    if isinstance(value, uuid.UUID):
        return ["u", str(value)]
    return ["i" if isinstance(value, int) else "s", value]


def _decode_value(tagged: Any) -> SortKey:
    tag, value = tagged
    decoders: dict[str, Callable[[Any], SortKey]] = {
        "t": datetime.fromisoformat,
        "u": uuid.UUID,
        "i": int,
        "s": str,
    }
    return decoders[tag](value)


def encode_cursor(list_name: str, sort_key: SortKey, row_id: SortKey) -> str:
    raw = json.dumps([list_name, _encode_value(sort_key), _encode_value(row_id)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(list_name: str, cursor: str) -> tuple[SortKey, SortKey]:
    """``(sort key, id)``; ``InvalidCursorError`` for anything not made by ``encode_cursor``."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, sort_key, row_id = json.loads(base64.urlsafe_b64decode(padded))
        if name != list_name:
            raise ValueError(f"cursor belongs to list {name!r}")
        return _decode_value(sort_key), _decode_value(row_id)
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidCursorError(f"invalid cursor for {list_name}: {exc}") from exc


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None = None


@dataclass(frozen=True)
class Keyset:
    """How one list is ordered: the SQL columns and the direction."""

    name: str
    sort_column: str
    id_column: str
    descending: bool = True

    def order_by(self) -> str:
        direction = "DESC" if self.descending else "ASC"
        return f"{self.sort_column} {direction}, {self.id_column} {direction}"

    def after(self, first_param: int) -> str:
        """The row-value comparison that starts a page after the cursor."""
        op = "<" if self.descending else ">"
        return f"({self.sort_column}, {self.id_column}) {op} (${first_param}, ${first_param + 1})"


async def fetch_page(
    conn: asyncpg.Connection,
    keyset: Keyset,
    sql: str,
    params: Sequence[Any],
    *,
    cursor: str | None,
    limit: int | None,
    to_item: Callable[[asyncpg.Record], T],
) -> Page[T]:
    """Run ``sql`` (a SELECT ending in a WHERE clause) as one keyset page.

    The query's select list must include the keyset's sort and id columns
    under their bare names (``sort_column``/``id_column`` after the last dot).
    """
    size = clamp_limit(limit)
    args = list(params)
    if cursor is not None:
        sql += " AND " + keyset.after(len(args) + 1)
        args += list(decode_cursor(keyset.name, cursor))
    sql += f" ORDER BY {keyset.order_by()} LIMIT {size + 1}"
    rows = await conn.fetch(sql, *args)
    next_cursor = None
    if len(rows) > size:
        last = rows[size - 1]
        sort_name = keyset.sort_column.rsplit(".", 1)[-1]
        id_name = keyset.id_column.rsplit(".", 1)[-1]
        next_cursor = encode_cursor(keyset.name, last[sort_name], last[id_name])
    return Page([to_item(r) for r in rows[:size]], next_cursor)
