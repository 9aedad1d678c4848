"""Non-finite numbers in JSON: find NaN and Infinity before they reach storage.

Python's ``json`` (and pydantic) read the literals ``NaN``, ``Infinity`` and
``-Infinity``, and read a literal too large for a double (``1e400``) as
infinity. None of them is a JSON number (RFC 8259) and PostgreSQL's ``jsonb``
refuses them all, so every boundary (HTTP bodies, Kafka messages) checks with
these helpers and answers with the place of the offending number instead of
failing later in the database.

- ``find_non_finite(value)``: the path of the first non-finite float in a
  parsed value (document order), or None;
- ``loads_finite(text)``: ``json.loads`` that raises ``NonFiniteNumberError``
  naming the place and the literal as written; it costs a Python call per
  float literal, not a second walk of the document;
- ``non_finite_in_json(text)``: the same check for text already parsed
  elsewhere (a web framework's body), as a value instead of an exception.

Pure and light: no I/O, and outside ``expressions`` so the messaging and
storage libraries use it without loading the JSONata engine.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from workflow_core.errors import SluiceError

JsonPath = tuple[str | int, ...]
_Frame = tuple[str | int, Iterator[tuple[Any, Any]]]

_NAMED = {"NaN", "Infinity", "-Infinity"}
_SHOWN_CHARS = 40  # an overflowing literal can be hundreds of digits long


@dataclass(frozen=True)
class NonFiniteNumber:
    """Where a non-finite number is, and how it was written."""

    path: JsonPath
    literal: str  # "NaN", "Infinity", "-Infinity", or an overflowing one such as "1e400"

    @property
    def pointer(self) -> str:
        """RFC 6901 JSON pointer: ``/payload/items/0``."""
        return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in self.path)

    @property
    def dotted(self) -> str:
        """``payload.items.0``, as pydantic locations read (``(root)`` for the whole value)."""
        return ".".join(str(part) for part in self.path) or "(root)"

    @property
    def reason(self) -> str:
        if self.literal in _NAMED:
            return f"{self.literal} is not a JSON number"
        shown = self.literal if len(self.literal) <= _SHOWN_CHARS else self.literal[:20] + "..."
        return f"{shown} is too large: beyond 1.8e308 a number is Infinity, not a JSON number"

    def describe(self) -> str:
        """``payload.a: NaN is not a JSON number``."""
        return f"{self.dotted}: {self.reason}"


class NonFiniteNumberError(SluiceError, ValueError):
    """JSON text holds NaN, Infinity or a number that overflows to infinity."""

    code = "NON_FINITE_NUMBER"

    def __init__(self, found: NonFiniteNumber) -> None:
        super().__init__(found.describe())
        self.found = found


class _Literal(float):
    """A non-finite float that remembers how it was written (only while parsing)."""

    literal: str


def _marked(number: float, literal: str) -> float:
    marked = _Literal(number)
    marked.literal = literal
    return marked


def _is_non_finite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def _children(value: Any) -> Iterator[tuple[Any, Any]] | None:
    if isinstance(value, dict):
        return iter(value.items())
    if isinstance(value, list | tuple):
        return enumerate(value)
    return None


def find_non_finite(value: Any) -> JsonPath | None:
    """The path of the first NaN or +-Infinity in ``value`` (document order), or None.

    Iterative, so nesting as deep as the parser allows never hits the recursion limit.
    """
    if _is_non_finite(value):
        return ()
    top = _children(value)
    stack: list[_Frame] = [("", top)] if top is not None else []
    while stack:
        for key, child in stack[-1][1]:
            if _is_non_finite(child):
                return (*(frame[0] for frame in stack[1:]), key)
            inner = _children(child)
            if inner is not None:
                stack.append((key, inner))
                break
        else:
            stack.pop()
    return None


def _at(value: Any, path: JsonPath) -> Any:
    for part in path:
        value = value[part]
    return value


def _literal_of(number: float) -> str:
    if isinstance(number, _Literal):
        return number.literal
    if math.isnan(number):
        return "NaN"
    return "Infinity" if number > 0 else "-Infinity"


def first_non_finite(value: Any) -> NonFiniteNumber | None:
    """The first non-finite number in ``value`` with its place, or None."""
    path = find_non_finite(value)
    if path is None:
        return None
    return NonFiniteNumber(path, _literal_of(_at(value, path)))


def loads_finite(text: str | bytes | bytearray) -> Any:
    """``json.loads`` refusing non-finite numbers with ``NonFiniteNumberError``.

    Malformed JSON raises ``json.JSONDecodeError`` as ``json.loads`` does.
    """
    marked: list[float] = []

    def constant(name: str) -> float:  # only ever NaN, Infinity or -Infinity
        marked.append(number := _marked(float(name), name))
        return number

    def floating(literal: str) -> float:
        number = float(literal)
        if math.isinf(number):
            marked.append(number := _marked(number, literal))
        return number

    value = json.loads(text, parse_constant=constant, parse_float=floating)
    # Only when the parser met one: a later duplicate key may have replaced it.
    found = first_non_finite(value) if marked else None
    if found is not None:
        raise NonFiniteNumberError(found)
    return value


def non_finite_in_json(text: str | bytes | bytearray) -> NonFiniteNumber | None:
    """The first non-finite number in JSON ``text``, or None.

    None also when ``text`` is not JSON at all: whoever parses it reports that.
    Costs about 1.3 times ``json.loads`` (measured: 20 us against 15 us for a
    2.5 KB document with 40 floats; a regular-expression pre-scan for the
    literals was slower than the parse it would have saved).
    """
    try:
        loads_finite(text)
    except NonFiniteNumberError as exc:
        return exc.found
    except ValueError:  # malformed JSON (JSONDecodeError) or an integer over 4300 digits
        return None
    return None
