"""Regex literals whose every use checks the input length against the budget.

jsonata-python compiles ``/.../`` literals at parse time through a pluggable
engine and recognises patterns by duck typing (``search``/``finditer``/``sub``),
so wrapping the compiled pattern covers ``$match``, ``$contains``,
``$replace``, ``$split`` and calling a regex directly, in one place.
"""

from __future__ import annotations

import re
from typing import Any

from jsonata.regex_engine import RegexFlags, default_regex_engine

from workflow_core.expressions.budget import active_budget


class CappedPattern:
    """A compiled ``re.Pattern`` that refuses inputs over the regex input cap."""

    __slots__ = ("_pattern",)

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self._pattern = pattern

    @property
    def pattern(self) -> str:
        return self._pattern.pattern

    def search(self, string: str) -> re.Match[str] | None:
        active_budget().require_regex_input(string)
        return self._pattern.search(string)

    def finditer(self, string: str) -> Any:
        active_budget().require_regex_input(string)
        return self._pattern.finditer(string)

    def sub(self, repl: Any, string: str, count: int = 0) -> str:
        active_budget().require_regex_input(string)
        return self._pattern.sub(repl, string, count)

    def split(self, string: str, maxsplit: int = 0) -> list[str | Any]:
        active_budget().require_regex_input(string)
        return self._pattern.split(string, maxsplit)

    def __repr__(self) -> str:
        return f"CappedPattern({self._pattern.pattern!r})"


def capped_regex_engine(pattern: str, flags: RegexFlags) -> CappedPattern:
    return CappedPattern(default_regex_engine(pattern, flags))
