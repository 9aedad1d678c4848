"""Turn an engine result into plain JSON, measuring its size as it goes.

The walk copies the result (so callers never alias the engine's or the
input's objects) and stops as soon as the compact UTF-8 JSON would exceed the
cap: a result that repeats a large sub-document many times by reference is
refused after at most ``cap`` bytes of work, never serialised in full.
"""

from __future__ import annotations

import json
import math
from typing import Any

from jsonata import Utils

from workflow_core.errors import ExpressionCode
from workflow_core.expressions.json_value import JsonValue

# Integers beyond this many digits are not JSON numbers any engine reads back
# faithfully (and Python refuses to print ints over 4300 digits).
_MAX_INT_DIGITS = 300


class ResultError(Exception):
    """A result is not JSON or too large; converted to ``ExpressionError`` by the caller."""

    def __init__(self, code: ExpressionCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _SizeExceededError(Exception):
    pass


class _Walk:
    def __init__(self, limit: int, strict: bool) -> None:
        self.limit = limit
        self.strict = strict
        self.size = 0

    def add(self, size: int) -> None:
        self.size += size
        if self.size > self.limit:
            raise _SizeExceededError

    def convert(self, value: Any) -> JsonValue:
        if value is None or value is Utils.NULL_VALUE:
            self.add(4)
            return None
        if isinstance(value, bool):
            self.add(4 if value else 5)
            return value
        if isinstance(value, int | float):
            return self._number(value)
        if isinstance(value, str):
            self.add(len(json.dumps(value, ensure_ascii=False).encode("utf-8")))
            return value
        if isinstance(value, list | tuple):
            self.add(2 + max(len(value) - 1, 0))
            return [self.convert(item) for item in value]
        if isinstance(value, dict):
            return self._object(value)
        if self.strict:
            raise ResultError(ExpressionCode.NOT_JSON, f"result contains {_describe(value)}")
        self.add(2)  # $string() renders functions and regexes as ""
        return None

    def _number(self, value: int | float) -> JsonValue:
        if isinstance(value, float) and not math.isfinite(value):
            raise ResultError(ExpressionCode.NOT_JSON, f"result contains the number {value}")
        if isinstance(value, int) and abs(value) >= 10**_MAX_INT_DIGITS:
            raise ResultError(ExpressionCode.NOT_JSON, "result contains an out-of-range integer")
        self.add(len(repr(value)))
        return value

    def _object(self, value: dict[Any, Any]) -> JsonValue:
        self.add(2 + max(len(value) - 1, 0))
        result: dict[str, JsonValue] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ResultError(ExpressionCode.NOT_JSON, f"object key {key!r} is not a string")
            self.add(len(json.dumps(key, ensure_ascii=False).encode("utf-8")) + 1)
            result[key] = self.convert(item)
        return result


def to_json(value: Any, max_bytes: int) -> JsonValue:
    """A plain-JSON copy of ``value``; ``ResultError`` if not JSON or over ``max_bytes``."""
    try:
        return _Walk(max_bytes, strict=True).convert(value)
    except _SizeExceededError:
        raise ResultError(
            ExpressionCode.OUTPUT_TOO_LARGE, f"result is larger than {max_bytes} bytes of JSON"
        ) from None


def json_size_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value``'s compact JSON is over ``limit`` bytes, stopping at the limit."""
    try:
        _Walk(limit, strict=False).convert(value)
    except _SizeExceededError:
        return True
    except ResultError:  # a non-finite number: the engine reports it itself
        return False
    return False


def _describe(value: Any) -> str:
    if Utils.is_function(value) or getattr(value, "_jsonata_lambda", False):
        return "a function"
    if callable(getattr(value, "finditer", None)):
        return "a regular expression"
    return f"a value of type {type(value).__name__}"
