"""The engine environment every compiled expression runs in.

One frame, built at import and never written afterwards, sits between
jsonata-python's global built-ins and each expression: it binds the
allowlisted built-ins wrapped in ``MeteredFunction`` (each call is charged to
the active budget, size-checked before it runs where the output size is
knowable, and its result accounted) and the SPEC helpers. Non-allowlisted
built-ins are still reachable by name in the global frame, which is why the
allowlist is enforced on the AST at compile time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jsonata.jsonata as jsonata_engine
from jsonata import Jsonata

from workflow_core.expressions.allowlist import BUILTIN_ALLOWLIST
from workflow_core.expressions.budget import Budget, active_budget
from workflow_core.expressions.helper_functions import HELPERS
from workflow_core.expressions.json_result import json_size_exceeds

Guard = Callable[[Budget, list[Any]], None]


def _silent(*_args: object, **_kwargs: object) -> None:
    """jsonata-python prints "Proc not found" to stdout before raising T1006 (calling a
    non-function): the core does no I/O, and the T1006 error already says it."""


# A module global shadows the built-in ``print`` for that module's code only.
jsonata_engine.print = _silent


class MeteredFunction(Jsonata.JFunction):  # type: ignore[misc]  # jsonata is untyped
    """An allowlisted built-in, charged to the budget of the running evaluation."""

    def __init__(self, native: Any, guard: Guard | None) -> None:
        # JFunction.__init__ would parse a signature string; reuse the native's.
        self.function = None
        self.signature = native.signature
        self.function_name = native.function_name
        self._native = native
        self._guard = guard

    def call(self, input: Any, args: Any) -> Any:  # the engine's parameter names
        budget = active_budget()
        arguments = list(args) if isinstance(args, list) else []
        budget.spend_on_call(arguments)
        if self._guard is not None:
            self._guard(budget, arguments)
        result = self._native.call(input, args)
        budget.produced(result)
        return result

    def get_number_of_args(self) -> int:
        return int(self._native.get_number_of_args())


def _arg(args: list[Any], index: int) -> Any:
    return args[index] if index < len(args) else None


def _guard_pad(budget: Budget, args: list[Any]) -> None:
    text, width = _arg(args, 0), _arg(args, 1)
    if isinstance(width, int | float) and not isinstance(width, bool):
        budget.require_string(max(abs(int(width)), len(text) if isinstance(text, str) else 0))


def _guard_join(budget: Budget, args: list[Any]) -> None:
    parts, separator = _arg(args, 0), _arg(args, 1)
    if isinstance(parts, list):
        gaps = max(len(parts) - 1, 0) * (len(separator) if isinstance(separator, str) else 0)
        budget.require_string(sum(len(p) for p in parts if isinstance(p, str)) + gaps)


def _guard_string(budget: Budget, args: list[Any]) -> None:
    value = _arg(args, 0)
    if not isinstance(value, str) and json_size_exceeds(value, budget.limits.max_string_chars):
        budget.require_string(budget.limits.max_string_chars + 1)


def _guard_replace(budget: Budget, args: list[Any]) -> None:
    """Bound ``$replace``'s output: input + matches x replacement + group references."""
    text, pattern, replacement = _arg(args, 0), _arg(args, 1), _arg(args, 2)
    if not (isinstance(text, str) and isinstance(replacement, str)):
        return
    references = replacement.count("$") * len(text)
    if (
        len(text) + (len(text) + 1) * len(replacement) + references
        <= budget.limits.max_string_chars
    ):
        return  # the cheap bound already fits: skip counting matches
    if isinstance(pattern, str):
        matches = text.count(pattern) if pattern else 0
    else:
        matches = sum(1 for _ in pattern.finditer(text))
    budget.require_string(len(text) + matches * len(replacement) + references)


_NUMBER_IN_PICTURE = re.compile(r"\d+")


def _guard_picture(budget: Budget, args: list[Any]) -> None:
    """Format pictures can ask for widths (``[Y,*-100000000]``); refuse absurd ones."""
    for arg in args:
        if isinstance(arg, str):
            for digits in _NUMBER_IN_PICTURE.findall(arg[:256]):
                budget.require_string(int(digits[:12]))


_GUARDS: dict[str, Guard] = {
    "pad": _guard_pad,
    "join": _guard_join,
    "string": _guard_string,
    "replace": _guard_replace,
    "formatNumber": _guard_picture,
    "formatInteger": _guard_picture,
    "fromMillis": _guard_picture,
}


def _build_frame() -> Any:
    frame = Jsonata.Frame(Jsonata.static_frame)
    for name in sorted(BUILTIN_ALLOWLIST - HELPERS.keys()):
        frame.bind(name, MeteredFunction(Jsonata.static_frame.lookup(name), _GUARDS.get(name)))
    for name, helper in HELPERS.items():
        frame.bind(name, helper)
    return frame


SANDBOX_FRAME = _build_frame()
