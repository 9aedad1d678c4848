"""One evaluation: a fresh budget, the engine call, and the JSON result.

Per-evaluation state lives in the ``Budget`` and in the engine frame that
``Jsonata.evaluate`` creates for the bindings; nothing outlives the call, so a
stopped evaluation leaves the compiled expression and the module reusable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeAlias

from jsonata import JException, Jsonata, Utils

from workflow_core.errors import ExpressionCode
from workflow_core.expressions.allowlist import RESERVED_PREFIX
from workflow_core.expressions.budget import Budget, BudgetStop, activated
from workflow_core.expressions.errors import ExpressionError
from workflow_core.expressions.json_result import ResultError, to_json
from workflow_core.expressions.json_value import JsonValue
from workflow_core.expressions.limits import ExpressionLimits
from workflow_core.expressions.rewrite import Rewritten
from workflow_core.expressions.sandbox import SANDBOX_FRAME

# The input document: the envelope view {"payload", "vars", "meta", "error",
# "event"?}; any JSON value is accepted (the conformance suite uses arrays,
# strings and undefined = None).
JsonInput: TypeAlias = Mapping[str, JsonValue] | JsonValue


def evaluate_engine(
    engine: Any,
    rewritten: Rewritten,
    source: str,
    context: JsonInput,
    *,
    now: datetime,
    limits: ExpressionLimits,
    clock: Callable[[], float] | None,
    bindings: Mapping[str, JsonValue] | None,
) -> JsonValue:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (the core never guesses a zone)")
    budget = Budget(limits, now, clock)
    variables = _variables(budget, bindings)
    document = (
        dict(context) if isinstance(context, Mapping) and not isinstance(context, dict) else context
    )
    failure = _Failure(rewritten, source)
    try:
        with activated(budget):
            raw = _run(engine, document, variables)
    except Exception as exc:  # every engine failure becomes an ExpressionError
        raise failure.from_exception(exc, budget) from exc
    if budget.failure is not None:  # stopped, but the engine swallowed the stop
        raise failure.from_exception(budget.failure, budget)
    try:
        return to_json(raw, limits.max_output_bytes)
    except ResultError as exc:
        raise failure.error(exc.code, exc.message, None) from None


def _run(engine: Any, document: Any, variables: dict[str, Any]) -> Any:
    """``Jsonata.evaluate`` minus what is unsafe to share between threads.

    ``Jsonata.evaluate`` parents its frame on ``engine.environment``, which
    jsonata-python reassigns during evaluation on the thread's "current"
    instance (possibly this very engine): a concurrent evaluation could see
    another's variables. Here the frame hangs off the immutable sandbox frame.
    The thread's current instance also gets the thread's own parser, which it
    uses to build partial applications at run time (a copied instance would
    share the compiling thread's parser).
    """
    Jsonata.get_per_thread_instance(engine).parser = Jsonata.get_parser()
    frame = Jsonata.Frame(SANDBOX_FRAME)
    for name, value in variables.items():
        frame.bind(name, value)
    frame.bind("$", document)
    if isinstance(document, list) and not Utils.is_sequence(document):
        document = Utils.create_sequence(document)
        document.outer_wrapper = True  # a JSON array input is one input, as in evaluate()
    return engine.eval(engine.ast, document, frame)


def _variables(budget: Budget, bindings: Mapping[str, JsonValue] | None) -> dict[str, Any]:
    variables: dict[str, Any] = dict(bindings or {})
    if any(name.startswith(RESERVED_PREFIX) for name in variables):
        raise ValueError(f"binding names starting with {RESERVED_PREFIX} are reserved")
    variables["__evaluate_entry"] = budget.on_entry
    variables["__evaluate_exit"] = budget.on_exit
    return variables


class _Failure:
    """Builds ``ExpressionError``s with positions mapped back to the author's source."""

    def __init__(self, rewritten: Rewritten, source: str) -> None:
        self.rewritten = rewritten
        self.source = source

    def error(
        self,
        code: ExpressionCode,
        message: str,
        position: int | None,
        jsonata_code: str | None = None,
    ) -> ExpressionError:
        mapped = self.rewritten.original_position(position) if position is not None else None
        return ExpressionError(
            code, message, source=self.source, position=mapped, jsonata_code=jsonata_code
        )

    def from_exception(self, exc: BaseException, budget: Budget) -> ExpressionError:
        stop = budget.failure if budget.failure is not None else exc
        if isinstance(stop, BudgetStop):
            return self.error(stop.sluice_code, stop.message, _position(stop.location))
        if isinstance(exc, JException):
            position = _position(exc.location)
            return self.error(
                ExpressionCode.EVALUATION_FAILED,
                engine_message(exc),
                position if position is not None else _position(budget.position),
                jsonata_code=str(exc.error),
            )
        if isinstance(exc, RecursionError):
            return self.error(ExpressionCode.BUDGET_EXCEEDED, "evaluation nested too deeply", None)
        return self.error(
            ExpressionCode.EVALUATION_FAILED,
            f"{type(exc).__name__}: {exc}",
            _position(budget.position),
        )


def _position(location: Any) -> int | None:
    return location if isinstance(location, int) and location >= 0 else None


def engine_message(exc: JException) -> str:
    message = str(exc)
    code = str(exc.error)
    return message if message.startswith(code) else f"{code}: {message}"
