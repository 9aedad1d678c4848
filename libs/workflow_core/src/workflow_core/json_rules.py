"""The input rule for JSON: what Sluice accepts from outside, found before storage.

Every JSON boundary (HTTP bodies of the API and ingest, Kafka messages on
``wf.events`` and ``wf.run-commands``, the JSON form of an email) applies the
same rule, here, and answers with the place of the first value that breaks it
(HTTP: 422 with a JSON pointer; Kafka: ``wf.dlq`` with the reason):

- **numbers are finite**: ``NaN``, ``Infinity``, ``-Infinity`` and literals
  that overflow a double (``1e400``) are refused; none is a JSON number
  (RFC 8259) and PostgreSQL's ``jsonb`` refuses them;
- **integers have at most 4300 digits** (Python's limit for reading one);
  any integer up to that is kept exactly (``jsonb`` numbers are arbitrary
  precision): beyond 64 bits is fine in a payload; fields backed by a
  database column carry their own maximum in their schema;
- **text is Unicode without U+0000**: a ``\\u0000`` (NUL) and a lone
  surrogate (``\\ud800`` without its pair) are refused in strings and in
  object keys: PostgreSQL's ``text`` and ``jsonb`` cannot hold NUL, and a
  lone surrogate is not a character (UTF-8 cannot encode it); bytes must be
  UTF-8 (RFC 8259);
- **nesting is at most 64 arrays/objects deep** (``MAX_DEPTH``); the parser
  itself stops near 1,000 levels, PostgreSQL near a few thousand.

Paths in messages show NUL and surrogates escaped (``\\u0000``), so a reason
can itself be stored and printed.

- ``loads_checked(text)``: ``json.loads`` raising ``JsonRuleError`` (its
  ``violation`` names path and reason); malformed JSON raises
  ``json.JSONDecodeError`` as ``json.loads`` does;
- ``violation_in_json(text)``: the same check as a value (None for text that
  is fine, or not JSON at all: whoever parses it reports that);
- ``first_violation(value)``: the check for a value built in code.

Cost: the parse with two hooks, plus a regular-expression scan for the
``\\u0000``/``\\udXXX`` escapes and a count of brackets; the tree is walked
only when one of those found something (about 1.3x ``json.loads`` for a clean
2.5 KB document). Pure: no I/O, and outside ``expressions`` so messaging and
storage use it without loading the JSONata engine.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from workflow_core.errors import SluiceError

JsonPath = tuple[str | int, ...]
_Frame = tuple[str | int, Iterator[tuple[Any, Any]]]

MAX_DEPTH = 64
MAX_INT_DIGITS = 4300  # sys.int_info.default_max_str_digits: json.loads refuses more
_NAMED = {"NaN", "Infinity", "-Infinity"}
_SHOWN_CHARS = 40  # an overflowing literal can be hundreds of digits long
_BAD_ESCAPE = re.compile(r"\\u(?:0000|d[89a-f][0-9a-f]{2})", re.IGNORECASE)
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def _shown(part: str | int) -> str:
    """A path part safe to print and store: NUL and lone surrogates escaped."""
    text = str(part)
    if _BAD_TEXT.search(text) is None:
        return text
    return _BAD_TEXT.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


@dataclass(frozen=True)
class JsonViolation:
    """Where a value breaks the rule, and why."""

    path: JsonPath
    reason: str  # "NaN is not a JSON number", "U+0000 (NUL) is not allowed in text", ...
    literal: str | None = None  # the number as written, for number violations

    @property
    def shown_path(self) -> tuple[str | int, ...]:
        """The path with NUL and lone surrogates in keys escaped (``a\\u0000``)."""
        return tuple(p if isinstance(p, int) else _shown(p) for p in self.path)

    @property
    def pointer(self) -> str:
        """RFC 6901 JSON pointer: ``/payload/items/0``."""
        return "".join("/" + _shown(p).replace("~", "~0").replace("/", "~1") for p in self.path)

    @property
    def dotted(self) -> str:
        """``payload.items.0``, as pydantic locations read (``(root)`` for the whole value)."""
        return ".".join(_shown(part) for part in self.path) or "(root)"

    def describe(self) -> str:
        """``payload.a: NaN is not a JSON number``."""
        return f"{self.dotted}: {self.reason}"


class JsonRuleError(SluiceError, ValueError):
    """JSON text holds a value the input rule refuses."""

    code = "JSON_RULE"

    def __init__(self, violation: JsonViolation) -> None:
        super().__init__(violation.describe())
        self.violation = violation


def number_violation(path: JsonPath, literal: str) -> JsonViolation:
    if literal in _NAMED:
        return JsonViolation(path, f"{literal} is not a JSON number", literal)
    shown = literal if len(literal) <= _SHOWN_CHARS else literal[:20] + "..."
    if "." in literal or "e" in literal.lower():
        reason = f"{shown} is too large: beyond 1.8e308 a number is Infinity, not a JSON number"
    else:
        reason = f"{shown} has {len(literal.lstrip('-'))} digits; at most {MAX_INT_DIGITS}"
    return JsonViolation(path, reason, literal)


def text_reason(text: str) -> str | None:
    """Why ``text`` breaks the rule (U+0000, a lone surrogate), or None."""
    found = _BAD_TEXT.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "U+0000 (NUL) is not allowed in text"
    return f"a lone surrogate (U+{ord(found.group()):04X}) is not Unicode text"


class _Literal(float):
    """A refused number that remembers how it was written (only while parsing)."""

    literal: str


def _marked(number: float, literal: str) -> float:
    marked = _Literal(number)
    marked.literal = literal
    return marked


def _children(value: Any) -> Iterator[tuple[Any, Any]] | None:
    if isinstance(value, dict):
        return iter(value.items())
    if isinstance(value, list | tuple):
        return enumerate(value)
    return None


def _scalar_violation(value: Any, path: JsonPath, text: bool) -> JsonViolation | None:
    if isinstance(value, float) and (isinstance(value, _Literal) or not math.isfinite(value)):
        if isinstance(value, _Literal):
            return number_violation(path, value.literal)
        literal = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return number_violation(path, literal)
    if text and isinstance(value, str):
        reason = text_reason(value)
        return None if reason is None else JsonViolation(path, reason)
    return None


def _walk(value: Any, *, text: bool = True, depth: bool = True) -> JsonViolation | None:
    """The first violation in document order (keys before their values); iterative."""
    found = _scalar_violation(value, (), text)
    top = _children(value)
    if found is not None or top is None:
        return found
    stack: list[_Frame] = [("", top)]
    while stack:
        for key, child in stack[-1][1]:
            path = (*(frame[0] for frame in stack[1:]), key)
            if text and isinstance(key, str) and (reason := text_reason(key)) is not None:
                return JsonViolation(path, f"object key: {reason}")
            found = _scalar_violation(child, path, text)
            if found is not None:
                return found
            inner = _children(child)
            if inner is not None:
                if depth and len(stack) >= MAX_DEPTH:
                    return JsonViolation(path, f"nested deeper than {MAX_DEPTH} arrays/objects")
                stack.append((key, inner))
                break
        else:
            stack.pop()
    return None


REPLACEMENT = "\ufffd"


def scrub_text(text: str) -> str:
    """``text`` with U+0000 and lone surrogates replaced by U+FFFD (what a text column holds)."""
    return text if _BAD_TEXT.search(text) is None else _BAD_TEXT.sub(REPLACEMENT, text)


def scrub_value(value: Any, path: JsonPath = ()) -> tuple[Any, list[JsonPath]]:
    """A copy of ``value`` with every string and key scrubbed, and the paths that changed.

    For data that must be kept rather than refused (an email's text parts): the
    bad characters become U+FFFD and the caller marks the paths.
    """
    if isinstance(value, str):
        clean = scrub_text(value)
        return clean, ([] if clean == value else [path])
    changed: list[JsonPath] = []
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            clean_key = scrub_text(key) if isinstance(key, str) else key
            out[clean_key], inner = scrub_value(item, (*path, clean_key))
            changed += inner if clean_key == key else [(*path, clean_key)]
        return out, changed
    if isinstance(value, list | tuple):
        items = []
        for index, item in enumerate(value):
            clean_item, inner = scrub_value(item, (*path, index))
            items.append(clean_item)
            changed += inner
        return items, changed
    return value, changed


def first_violation(value: Any) -> JsonViolation | None:
    """The first value breaking the rule in a value built in code, or None."""
    return _walk(value)


def _too_deep_offset(text: str) -> int:
    """Character offset where nesting passes ``MAX_DEPTH`` (strings skipped)."""
    level = 0
    for token in _TOKEN.finditer(text):
        mark = token.group()
        if mark in "[{":
            level += 1
            if level > MAX_DEPTH:
                return token.start()
        elif mark in "]}":
            level -= 1
    return 0


def _decoded(raw: str | bytes | bytearray) -> str:
    """Bytes must be UTF-8 (RFC 8259 8.1); ``json.loads`` would also take UTF-16
    and let encoded surrogates through (it decodes with ``surrogatepass``)."""
    if isinstance(raw, str):
        return raw
    try:
        return bytes(raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        reason = f"JSON text must be UTF-8: {exc.reason} at byte {exc.start}"
        raise JsonRuleError(JsonViolation((), reason)) from None


def loads_checked(raw: str | bytes | bytearray) -> Any:
    """``json.loads`` refusing what the rule refuses with ``JsonRuleError``.

    Malformed JSON raises ``json.JSONDecodeError`` as ``json.loads`` does;
    bytes that are not UTF-8 break the rule (``JsonRuleError`` at the root).
    """
    marked: list[str] = []

    def constant(name: str) -> float:  # only ever NaN, Infinity or -Infinity
        marked.append(name)
        return _marked(float(name), name)

    def floating(literal: str) -> float:
        number = float(literal)
        if math.isinf(number):
            marked.append(literal)
            return _marked(number, literal)
        return number

    def integer(literal: str) -> int | float:
        if len(literal) - literal.startswith("-") > MAX_INT_DIGITS:
            marked.append(literal)
            return _marked(math.inf, literal)
        return int(literal)

    text = _decoded(raw)
    value = _parse(text, constant, floating, integer)
    escapes, deep = _BAD_ESCAPE.search(text) is not None, _brackets(text) > MAX_DEPTH
    # Only when something was seen: a later duplicate key may have replaced it.
    found = _walk(value, text=escapes, depth=deep) if (marked or escapes or deep) else None
    if found is not None:
        raise JsonRuleError(found)
    return value


def _brackets(text: str) -> int:
    return text.count("[") + text.count("{")


def _parse(
    text: str,
    constant: Callable[[str], float],
    floating: Callable[[str], float],
    integer: Callable[[str], int | float],
) -> Any:
    try:
        return json.loads(text, parse_constant=constant, parse_float=floating, parse_int=integer)
    except RecursionError:  # far past MAX_DEPTH: the parser's own stack ran out
        at = _too_deep_offset(text)
        reason = f"nested deeper than {MAX_DEPTH} arrays/objects (at character {at})"
        raise JsonRuleError(JsonViolation((), reason)) from None


def violation_in_json(raw: str | bytes | bytearray) -> JsonViolation | None:
    """The first value breaking the rule in JSON ``raw``, or None (also when not JSON)."""
    try:
        loads_checked(raw)
    except JsonRuleError as exc:
        return exc.violation
    except ValueError:  # malformed JSON (JSONDecodeError)
        return None
    return None
