"""Fast path for plain dotted paths (``payload.emailData.from``, ``vars.ticketId``).

Most expressions in real definitions are such paths, and a full engine
evaluation (budget, frame, generic evaluator, result walk) costs about ten
times a few dict lookups. A ``SimplePath`` answers only when the answer is
provably the engine's: every step finds its key in a plain ``dict``, the value
reached is a JSON scalar, and the engine's budget could not have stopped the
evaluation. In every other case it returns ``MISS`` and the caller runs the
engine, so results, errors and limits are unchanged.

The engine's cost of a plain path of k names on dicts, measured with the
budget's counters: k + 1 work units (the path node and one name node per
step), nesting depth 2, 1 array item (the path's one-value result sequence)
and, for a string result, its length in string characters (counted once, at
the last name node). ``test_expression_simple_path`` checks this holds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any, Final

from workflow_core.expressions.allowlist import RESERVED_PREFIX
from workflow_core.expressions.json_result import ResultError, to_json
from workflow_core.expressions.json_value import JsonValue
from workflow_core.expressions.limits import ExpressionLimits

# jsonata-python's tokenizer skips exactly these between tokens (not \f, \v or
# Unicode spaces, which it reads as part of a name).
_JSONATA_WHITESPACE = " \t\n\r"
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_DOTTED = re.compile(rf"{_NAME}(?:\.{_NAME})*")
# Names the tokenizer turns into operators (and, or, in) or literals.
_KEYWORDS = frozenset({"and", "or", "in", "true", "false", "null"})
# Parser attributes a bare path and its name steps carry; any other one set
# (predicate, stages, group, focus, keep_array, ...) changes the meaning.
_PATH_ATTRIBUTES = frozenset({"_outer_instance", "type", "steps", "position"})
_STEP_ATTRIBUTES = frozenset({"_outer_instance", "id", "type", "value", "position"})
# Results returned unchanged by both the engine and ``to_json`` (exact types:
# a subclass of one of them could behave differently).
_SCALAR_TYPES = (str, int, float, bool, type(None))
# The engine's nesting depth and array items for any plain path (see above);
# its work units are the number of names plus one.
ENGINE_DEPTH: Final = 2
ENGINE_ITEMS: Final = 1


class Miss(Enum):
    MISS = "miss"


MISS: Final = Miss.MISS


class SimplePath:
    """The names of a plain dotted path; ``lookup`` answers when the engine would agree."""

    __slots__ = ("_names", "_units")

    def __init__(self, names: tuple[str, ...]) -> None:
        self._names = names
        self._units = len(names) + 1

    @property
    def names(self) -> tuple[str, ...]:
        return self._names

    def lookup(
        self,
        context: object,
        *,
        now: datetime,
        limits: ExpressionLimits,
        bindings: Mapping[str, JsonValue] | None,
    ) -> JsonValue | Miss:
        """The engine's result for ``context``, or ``MISS`` when that is not certain."""
        if not self._preconditions_hold(now, limits, bindings):
            return MISS
        value: Any = context
        for name in self._names:
            if type(value) is not dict:
                return MISS  # a list maps over items, a scalar is undefined: the engine decides
            value = value.get(name, MISS)
        if type(value) not in _SCALAR_TYPES:
            return MISS  # also MISS itself (a missing key)
        if type(value) is str and len(value) > min(
            limits.max_string_chars, limits.max_total_string_chars
        ):
            return MISS
        try:
            return to_json(value, limits.max_output_bytes)
        except (ResultError, ValueError):  # too large, not finite, unencodable: engine reports
            return MISS

    def _preconditions_hold(
        self, now: datetime, limits: ExpressionLimits, bindings: Mapping[str, JsonValue] | None
    ) -> bool:
        """What ``evaluate_engine`` checks or charges before any result: all must pass."""
        if now.tzinfo is None:
            return False
        if bindings and any(name.startswith(RESERVED_PREFIX) for name in bindings):
            return False
        return (
            limits.max_work_units >= self._units
            and limits.max_depth >= ENGINE_DEPTH
            and limits.max_items >= ENGINE_ITEMS
        )

    def __repr__(self) -> str:
        return f"SimplePath({'.'.join(self._names)!r})"


def simple_path(source: str, ast: Any) -> SimplePath | None:
    """A ``SimplePath`` if ``source`` (parsed to ``ast``) is a plain dotted path, else ``None``."""
    stripped = source.strip(_JSONATA_WHITESPACE)
    if _DOTTED.fullmatch(stripped) is None:
        return None
    names = tuple(stripped.split("."))
    if _KEYWORDS.intersection(names) or not _is_path_of(ast, names):
        return None
    return SimplePath(names)


def _is_path_of(ast: Any, names: tuple[str, ...]) -> bool:
    """Whether the parser agrees: a bare path whose steps are exactly these names."""
    if getattr(ast, "type", None) != "path" or not _only_set(ast, _PATH_ATTRIBUTES):
        return False
    steps = ast.steps
    if not isinstance(steps, list) or len(steps) != len(names):
        return False
    return all(
        getattr(step, "type", None) == "name"
        and getattr(step, "value", None) == name
        and _only_set(step, _STEP_ATTRIBUTES)
        for step, name in zip(steps, names, strict=True)
    )


def _only_set(node: Any, allowed: frozenset[str]) -> bool:
    attributes = getattr(node, "__dict__", None)
    if attributes is None:
        return False
    return all(not value for key, value in attributes.items() if key not in allowed)
