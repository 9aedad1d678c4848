"""Source rewrites before parsing, with an offset map back to the author's text.

Two rewrites, both on tokens (never inside strings, backtick names, comments
or regex literals):

- ``==`` becomes ``=`` (SPEC: a synonym);
- a bare helper name followed by ``(`` gets a ``$``: ``len(x)`` -> ``$len(x)``,
  ``payload.len(x)`` -> ``payload.$len(x)``, while ``payload.len`` stays a field.

``Rewritten.original_position`` maps an offset in the rewritten text (as the
engine reports it) to the offset in the source as written.
"""

from __future__ import annotations

from dataclasses import dataclass

HELPER_NAMES = frozenset({"nowIso", "coalesce", "len", "toString", "append"})

# Characters that end a name token, as in jsonata-python's tokenizer.
_OPERATOR_CHARS = frozenset(".[]{}(),@#;:?+-*/%|=<>^&!~")
_WHITESPACE = frozenset(" \t\n\r")
_TWO_CHAR_OPERATORS = frozenset({"..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??"})
# After one of these a ``/`` divides; after anything else it opens a regex.
_OPERAND_CLOSERS = frozenset(")]}")


@dataclass(frozen=True, slots=True)
class Rewritten:
    text: str
    # original offset of each rewritten offset, one entry more than ``text``
    offsets: tuple[int, ...]

    def original_position(self, position: int) -> int:
        if position < 0:
            return 0
        return self.offsets[min(position, len(self.offsets) - 1)]


class _Builder:
    def __init__(self) -> None:
        self.chars: list[str] = []
        self.offsets: list[int] = []

    def copy(self, text: str, start: int) -> None:
        self.chars.append(text)
        self.offsets.extend(range(start, start + len(text)))

    def insert(self, text: str, at: int) -> None:
        self.chars.append(text)
        self.offsets.extend([at] * len(text))

    def build(self, end: int) -> Rewritten:
        return Rewritten("".join(self.chars), (*self.offsets, end))


def rewrite(source: str) -> Rewritten:
    """Apply the rewrites; unterminated strings or comments are copied (the parser reports them)."""
    out = _Builder()
    i, n = 0, len(source)
    operand_before = False  # was the previous token an operand (so ``/`` divides)?
    while i < n:
        ch = source[i]
        if ch in _WHITESPACE:
            end = i + 1
        elif source.startswith("/*", i):
            end = _skip_comment(source, i)
        elif ch in "\"'":
            end, operand_before = _skip_string(source, i, ch), True
        elif ch == "`":
            end, operand_before = _skip_to(source, i + 1, "`"), True
        elif ch == "/" and not operand_before:
            end, operand_before = _skip_regex(source, i), True
        elif source.startswith("==", i):
            out.copy("=", i)
            i, operand_before = i + 2, False
            continue
        elif source[i : i + 2] in _TWO_CHAR_OPERATORS:
            end, operand_before = i + 2, False
        elif ch in _OPERATOR_CHARS:
            end, operand_before = i + 1, ch in _OPERAND_CLOSERS
        else:
            end, operand_before = _name_end(source, i), True
            if source[i:end] in HELPER_NAMES and _next_is_call(source, end):
                out.insert("$", i)
        out.copy(source[i:end], i)
        i = end
    return out.build(n)


def _skip_comment(source: str, start: int) -> int:
    close = source.find("*/", start + 2)
    return len(source) if close < 0 else close + 2


def _skip_string(source: str, start: int, quote: str) -> int:
    i = start + 1
    while i < len(source):
        if source[i] == "\\":
            i += 2
            continue
        if source[i] == quote:
            return i + 1
        i += 1
    return len(source)


def _skip_to(source: str, start: int, closer: str) -> int:
    close = source.find(closer, start)
    return len(source) if close < 0 else close + 1


def _skip_regex(source: str, start: int) -> int:
    """End of ``/pattern/flags``, with the tokenizer's bracket-depth rule."""
    i, depth = start + 1, 0
    while i < len(source):
        ch = source[i]
        escaped = source[i - 1] == "\\"
        if ch == "/" and depth == 0 and not _odd_backslashes_before(source, i):
            i += 1
            while i < len(source) and source[i] in "im":
                i += 1
            return i
        if ch in "([{" and not escaped:
            depth += 1
        elif ch in ")]}" and not escaped:
            depth -= 1
        i += 1
    return len(source)


def _odd_backslashes_before(source: str, i: int) -> bool:
    count = 0
    while i - count - 1 >= 0 and source[i - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _name_end(source: str, start: int) -> int:
    i = start + 1  # a name, variable ($x), number or other single token
    while i < len(source) and source[i] not in _OPERATOR_CHARS and source[i] not in _WHITESPACE:
        if source[i] in "\"'`":
            break
        i += 1
    return i


def _next_is_call(source: str, end: int) -> bool:
    i = end
    while i < len(source) and source[i] in _WHITESPACE:
        i += 1
    return i < len(source) and source[i] == "("
