"""SPEC section 5 helpers: ``nowIso``, ``coalesce``, ``len``, ``toString``, ``append``.

Callable as ``name(...)`` (see ``rewrite``) or ``$name(...)``. ``append``
replaces JSONata's ``$append`` (an absent list is treated as ``[]``), so
``$append(undefined, 1)`` is ``[1]`` here, not ``1``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any

from jsonata import Functions, JException, Jsonata, Utils

from workflow_core.expressions.budget import active_budget
from workflow_core.expressions.json_result import json_size_exceeds


class HelperFunction(Jsonata.JLambda):  # type: ignore[misc]  # jsonata is untyped
    """A helper as the engine sees it: a lambda with an argument-count check and metering."""

    def __init__(self, name: str, function: Callable[..., Any], max_args: int | None) -> None:
        super().__init__(function)
        self.function_name = name
        self._max_args = max_args

    def call(self, _input: Any, args: Any) -> Any:
        arguments = list(args) if isinstance(args, list) else []
        if self._max_args is not None and len(arguments) > self._max_args:
            # T0410: "Argument N of function X does not match function signature"
            raise JException("T0410", -1, len(arguments), self.function_name)
        budget = active_budget()
        budget.spend_on_call(arguments)
        result = self.function(*arguments)
        budget.produced(result)
        return result

    def get_number_of_args(self) -> int:
        return self._max_args if self._max_args is not None else 1


def _absent(value: Any) -> bool:
    return value is None or value is Utils.NULL_VALUE


def now_iso() -> str:
    """The evaluation's ``now`` as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (the shape of ``$now()``)."""
    now = active_budget().now.astimezone(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def coalesce(*values: Any) -> Any:
    return next((value for value in values if not _absent(value)), None)


def length(value: Any = None) -> int:
    return len(value) if isinstance(value, str | list) else 0


def to_string(value: Any = None) -> str:
    if _absent(value):
        return ""
    if isinstance(value, str):
        return value
    budget = active_budget()
    if json_size_exceeds(value, budget.limits.max_string_chars):
        budget.require_string(budget.limits.max_string_chars + 1)
    return str(Functions.string(value, None))


def append(values: Any = None, value: Any = None) -> Any:
    return Functions.append([] if _absent(values) else values, value)


HELPERS: dict[str, HelperFunction] = {
    "nowIso": HelperFunction("nowIso", now_iso, 0),
    "coalesce": HelperFunction("coalesce", coalesce, None),
    "len": HelperFunction("len", length, 1),
    "toString": HelperFunction("toString", to_string, 1),
    "append": HelperFunction("append", append, 2),
}
