"""Capping snapshots at 256 KiB (SPEC section 10).

When the compact UTF-8 JSON of a value is over the cap, some strings, arrays
or objects are replaced by ``{"$truncated": true, "originalBytes": N}``
(``N`` = the replaced value's own encoded size). The choice is deterministic
and keeps as much structure as it can:

- if replacing a single value is enough, the deepest such value is replaced
  (descending into the largest child that alone is enough), so a 300 KB
  ``payload.emailData.body.html`` costs only that field;
- otherwise the children of that deepest node are replaced largest first
  (ties in document order), the last one again as deep as possible;
- only when even that is not enough is the node itself replaced; at the top
  that makes the whole value one marker.

Sizes are additive in compact JSON, so the plan is computed once from exact
byte counts and the result always fits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import JsonValue

TRUNCATED_KEY = "$truncated"
# SPEC section 10: snapshots are capped at 256 KiB = 256 * 1024 bytes.
DEFAULT_MAX_BYTES = 256 * 1024
# The longest marker: '{"$truncated":true,"originalBytes":' (35) + 28 digits + '}' = 64 bytes.
MIN_MAX_BYTES = 64

Key = str | int
Path = tuple[Key, ...]


def encoded_size(value: Any) -> int:
    """Bytes of the compact UTF-8 JSON encoding (lone surrogates counted, not refused)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return len(text.encode("utf-8", "surrogatepass"))


def truncation_marker(original_bytes: int) -> dict[str, JsonValue]:
    return {TRUNCATED_KEY: True, "originalBytes": original_bytes}


def cap_snapshot(
    value: JsonValue, max_bytes: int = DEFAULT_MAX_BYTES, *, size_at_most: int | None = None
) -> JsonValue:
    """``value`` if it fits in ``max_bytes``, else a copy with the fewest, deepest values
    replaced by truncation markers; never mutates ``value``. ``size_at_most``: a known
    upper bound of its encoded size, which spares measuring a value that fits."""
    if max_bytes < MIN_MAX_BYTES:
        raise ValueError(f"max_bytes must be >= {MIN_MAX_BYTES} (the size of a marker)")
    if size_at_most is not None and size_at_most <= max_bytes:
        return value
    total = encoded_size(value)
    if total <= max_bytes:
        return value
    tree = _measure(value)
    plan = dict(_shed(tree, total - max_bytes, ()))
    result: JsonValue = _rebuild(value, (), plan)
    return result


@dataclass
class _Node:
    size: int
    replaceable: bool  # strings, arrays and objects; numbers and literals are kept
    children: list[tuple[Key, _Node]] = field(default_factory=list)

    @property
    def gain(self) -> int:
        """Bytes saved by replacing this node with its marker (may be negative)."""
        return self.size - _marker_size(self.size)


def _marker_size(original_bytes: int) -> int:
    """``{"$truncated":true,"originalBytes":N}`` is 36 bytes plus the digits of N."""
    return 36 + len(str(original_bytes))


def _measure(value: Any) -> _Node:
    if isinstance(value, dict):
        children = [(key, _measure(child)) for key, child in value.items()]
        keys = sum(encoded_size(key) + 1 for key in value)  # "key": per member
        return _Node(_container_size(children) + keys, True, children)
    if isinstance(value, list):
        children = [(index, _measure(child)) for index, child in enumerate(value)]
        return _Node(_container_size(children), True, children)
    return _Node(encoded_size(value), isinstance(value, str))


def _container_size(children: list[tuple[Key, _Node]]) -> int:
    """Brackets, commas between members, and the members themselves."""
    return 2 + max(len(children) - 1, 0) + sum(child.size for _, child in children)


def _shed(node: _Node, need: int, path: Path) -> list[tuple[Path, int]]:
    """Replacements under ``node`` saving at least ``need`` bytes, as deep as possible."""
    candidates = [(key, child) for key, child in node.children if child.replaceable]
    candidates = [(key, child) for key, child in candidates if child.gain > 0]
    enough = [(key, child) for key, child in candidates if child.gain >= need]
    if enough:
        key, child = max(enough, key=lambda pair: pair[1].size)  # max keeps the first tie
        return _shed(child, need, (*path, key))
    plan: list[tuple[Path, int]] = []
    remaining = need
    for key, child in sorted(candidates, key=lambda pair: -pair[1].size):  # stable sort
        if child.gain >= remaining:
            return plan + _shed(child, remaining, (*path, key))
        plan.append(((*path, key), child.size))
        remaining -= child.gain
    return [(path, node.size)]


def _rebuild(value: Any, path: Path, plan: dict[Path, int]) -> Any:
    if path in plan:
        return truncation_marker(plan[path])
    if isinstance(value, dict):
        return {key: _rebuild(child, (*path, key), plan) for key, child in value.items()}
    if isinstance(value, list):
        return [_rebuild(child, (*path, index), plan) for index, child in enumerate(value)]
    return value
