"""Per-evaluation budget: counters fed by jsonata-python's node callbacks.

jsonata-python calls ``__evaluate_entry`` / ``__evaluate_exit`` from the
environment on every AST node it evaluates; the evaluation binds them to a
fresh ``Budget``, so nothing is shared between evaluations. Built-ins and
regex patterns, which run natively without node callbacks, reach the same
budget through a ``ContextVar`` set for the duration of the evaluation (see
``active_budget``); a ``ContextVar`` is per thread and per task, and is reset
when the evaluation ends.

All counters except the optional clock are functions of the expression and
its input, so the same input always gets the same outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, NoReturn

from jsonata import JException

from workflow_core.errors import ExpressionCode
from workflow_core.expressions.limits import ExpressionLimits

# Built-ins loop natively over their array arguments: charge one work unit per
# this many items (a native loop step costs roughly 1/8 of a node evaluation).
ITEMS_PER_WORK_UNIT = 8


class BudgetStop(JException):  # type: ignore[misc]  # jsonata is untyped
    """Raised inside the engine to abort an evaluation.

    A ``JException`` subclass, so that jsonata-python's own handlers (which
    rewrap foreign exceptions in some places) let it through unchanged.
    """

    def __init__(self, code: ExpressionCode, message: str, position: int) -> None:
        RuntimeError.__init__(self, message)
        self.error = str(code)
        self.location = position
        self.current = None
        self.expected = None
        self.extra = None
        self.type = None
        self.remaining = None
        self.sluice_code = code
        self.message = message


class Budget:
    """Counters and caps of one evaluation; also carries the evaluation's ``now``."""

    def __init__(
        self, limits: ExpressionLimits, now: datetime, clock: Callable[[], float] | None
    ) -> None:
        self.limits = limits
        self.now = now
        self._clock = clock
        self._deadline = clock() + limits.wall_clock_ms / 1000 if clock is not None else None
        self.units = 0
        self.items = 0
        self.depth = 0
        self.string_chars = 0
        # positions of the nodes being evaluated, innermost last: on an engine
        # error without a location, the innermost one is where it happened
        self._open: list[int] = []
        self.failure: BudgetStop | None = None

    # -- node callbacks (signatures fixed by jsonata-python) -------------------
    def on_entry(self, expr: Any, _input: Any, _env: Any) -> None:
        self.depth += 1
        self._open.append(getattr(expr, "position", -1))
        if self.depth > self.limits.max_depth:
            self.stop(
                ExpressionCode.BUDGET_EXCEEDED, f"nesting deeper than {self.limits.max_depth}"
            )
        self.spend(1)

    def on_exit(self, expr: Any, _input: Any, _env: Any, result: Any) -> None:
        self.depth -= 1
        self._open.pop()
        self.produced(result, getattr(expr, "position", -1))

    @property
    def position(self) -> int:
        """Position of the innermost node under evaluation, -1 if none."""
        return self._open[-1] if self._open else -1

    # -- charges ----------------------------------------------------------------
    def spend(self, units: int) -> None:
        self.units += units
        if self.units > self.limits.max_work_units:
            self.stop(
                ExpressionCode.BUDGET_EXCEEDED,
                f"work budget of {self.limits.max_work_units} units exhausted",
            )
        if (
            self._deadline is not None
            and self._clock is not None
            and self._clock() > self._deadline
        ):
            self.stop(ExpressionCode.TIMED_OUT, f"ran longer than {self.limits.wall_clock_ms} ms")

    def spend_on_call(self, args: Any) -> None:
        """Charge a built-in call: one unit plus its array arguments' items."""
        items = sum(len(a) for a in args if isinstance(a, list)) if isinstance(args, list) else 0
        self.spend(1 + items // ITEMS_PER_WORK_UNIT)

    def produced(self, value: Any, position: int = -1) -> None:
        if isinstance(value, list):
            self.items += len(value)
            if self.items > self.limits.max_items:
                self.stop(
                    ExpressionCode.BUDGET_EXCEEDED,
                    f"more than {self.limits.max_items} array items produced",
                    position,
                )
        elif isinstance(value, str):
            self.require_string(len(value), position)
            self.string_chars += len(value)
            if self.string_chars > self.limits.max_total_string_chars:
                self.stop(
                    ExpressionCode.BUDGET_EXCEEDED,
                    f"more than {self.limits.max_total_string_chars} string characters built",
                    position,
                )

    def require_string(self, length: int, position: int = -1) -> None:
        """Refuse a string of ``length`` characters before or after it is built."""
        if length > self.limits.max_string_chars:
            self.stop(
                ExpressionCode.BUDGET_EXCEEDED,
                f"string of {length} characters exceeds {self.limits.max_string_chars}",
                position,
            )

    def require_regex_input(self, text: str) -> None:
        if len(text) > self.limits.max_regex_input_chars:
            self.stop(
                ExpressionCode.BUDGET_EXCEEDED,
                f"regex input of {len(text)} characters exceeds "
                f"{self.limits.max_regex_input_chars}",
            )

    def stop(self, code: ExpressionCode, message: str, position: int = -1) -> NoReturn:
        """Abort the evaluation; the first stop is kept even if the engine swallows it."""
        stop = BudgetStop(code, message, position if position >= 0 else self.position)
        if self.failure is None:
            self.failure = stop
        raise stop


_ACTIVE: ContextVar[Budget | None] = ContextVar("sluice_expression_budget", default=None)


@contextmanager
def activated(budget: Budget) -> Iterator[Budget]:
    """Make ``budget`` the one built-ins and regexes charge, for one evaluation."""
    token = _ACTIVE.set(budget)
    try:
        yield budget
    finally:
        _ACTIVE.reset(token)


def active_budget() -> Budget:
    budget = _ACTIVE.get()
    if budget is None:  # a built-in called outside evaluate(): a bug, not user input
        raise RuntimeError("sandboxed JSONata function called outside an evaluation")
    return budget
