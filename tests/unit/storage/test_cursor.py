"""Cursor codec and limit clamping (pure)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sluice_storage import InvalidCursorError, clamp_limit
from sluice_storage.pagination import Keyset, decode_cursor, encode_cursor


@pytest.mark.parametrize(
    ("given", "expected"), [(None, 50), (10, 10), (500, 500), (501, 500), (10_000, 500), (0, 1)]
)
def test_clamp_limit_defaults_and_clamps(given: int | None, expected: int) -> None:
    assert clamp_limit(given) == expected


@pytest.mark.parametrize(
    "sort_key", [datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), 42, "abc", uuid.uuid4()]
)
def test_cursor_round_trips_each_key_type(sort_key: datetime | int | str | uuid.UUID) -> None:
    row_id = uuid.uuid4()
    cursor = encode_cursor("runs", sort_key, row_id)
    assert "=" not in cursor
    assert decode_cursor("runs", cursor) == (sort_key, row_id)


def test_cursor_of_another_list_is_refused() -> None:
    cursor = encode_cursor("runs", 1, 2)
    with pytest.raises(InvalidCursorError, match="belongs to list 'runs'"):
        decode_cursor("events", cursor)


@pytest.mark.parametrize("garbage", ["", "!!!", "bm9wZQ", "WzEsMl0"])
def test_garbage_cursor_is_refused(garbage: str) -> None:
    with pytest.raises(InvalidCursorError):
        decode_cursor("runs", garbage)


def test_keyset_after_uses_direction() -> None:
    assert Keyset("x", "a", "b", descending=True).after(3) == "(a, b) < ($3, $4)"
    assert Keyset("x", "a", "b", descending=False).after(1) == "(a, b) > ($1, $2)"
