"""``compile_expression``: rewrite, parse, enforce the allowlist; cached by source."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any

from jsonata import JException, Jsonata

from workflow_core.errors import ExpressionCode
from workflow_core.expressions.allowlist import find_violation
from workflow_core.expressions.direct import direct_form
from workflow_core.expressions.errors import ExpressionError
from workflow_core.expressions.evaluate import JsonInput, engine_message, evaluate_engine
from workflow_core.expressions.json_value import JsonValue
from workflow_core.expressions.limits import DEFAULT_LIMITS, ExpressionLimits
from workflow_core.expressions.regex_guard import capped_regex_engine
from workflow_core.expressions.rewrite import Rewritten, rewrite
from workflow_core.expressions.simple_path import MISS, simple_path

# Longest accepted source: far above any hand-written expression (the longest
# in the JSONata suite is ~1.5 KB), low enough to bound parse time and depth.
MAX_SOURCE_CHARS = 16 * 1024
# Distinct sources kept compiled; a definition has tens of expressions, a
# busy interpreter a few hundred definitions.
CACHE_SIZE = 4096


class CompiledExpression:
    """A parsed, allowlist-checked expression; safe to share and to evaluate repeatedly."""

    def __init__(self, source: str, engine: Any, rewritten: Rewritten) -> None:
        self.source = source
        self._engine = engine
        self._rewritten = rewritten
        # plain dotted paths and small compound expressions skip the engine when
        # the answer is certain (simple_path.py, direct.py)
        self._simple_path = simple_path(source, engine.ast)
        self._direct = direct_form(engine.ast)

    def evaluate(
        self,
        context: JsonInput,
        *,
        now: datetime,
        limits: ExpressionLimits = DEFAULT_LIMITS,
        clock: Callable[[], float] | None = None,
        bindings: Mapping[str, JsonValue] | None = None,
    ) -> JsonValue:
        """Evaluate against ``context``; undefined becomes ``None``.

        ``now`` (timezone-aware) is what ``nowIso()`` returns; ``clock`` (seconds,
        monotonic) enables the ``limits.wall_clock_ms`` backstop; ``bindings``
        are extra ``$variables``.
        """
        if clock is None:  # a clock may time the engine out
            if self._simple_path is not None:
                value = self._simple_path.lookup(context, now=now, limits=limits, bindings=bindings)
                if value is not MISS:
                    return value
            if self._direct is not None:
                value = self._direct.lookup(context, now=now, limits=limits, bindings=bindings)
                if value is not MISS:
                    return value
        return evaluate_engine(
            self._engine,
            self._rewritten,
            self.source,
            context,
            now=now,
            limits=limits,
            clock=clock,
            bindings=bindings,
        )

    @property
    def ast(self) -> Any:
        """jsonata-python's AST (positions are offsets in the rewritten text)."""
        return self._engine.ast

    @cached_property
    def read_paths(self) -> frozenset[tuple[str, ...]]:
        from workflow_core.expressions.paths import paths_of_ast  # import cycle: paths <- allowlist

        return paths_of_ast(self._engine.ast)

    def __repr__(self) -> str:
        return f"CompiledExpression({self.source!r})"


@lru_cache(maxsize=CACHE_SIZE)
def compile_expression(source: str) -> CompiledExpression:
    """Compile ``source``; ``ExpressionError`` INVALID_EXPR or DISALLOWED_FUNCTION if it cannot."""
    if not isinstance(source, str):
        raise ExpressionError(
            ExpressionCode.INVALID_EXPR, "expression must be a string", source=repr(source)
        )
    if len(source) > MAX_SOURCE_CHARS:
        raise ExpressionError(
            ExpressionCode.INVALID_EXPR,
            f"expression longer than {MAX_SOURCE_CHARS} characters",
            source=source,
        )
    rewritten = rewrite(source)
    engine = _parse(source, rewritten)
    violation = find_violation(engine.ast)
    if violation is not None:
        message, position = violation
        raise ExpressionError(
            ExpressionCode.DISALLOWED_FUNCTION,
            message,
            source=source,
            position=rewritten.original_position(position),
        )
    # evaluate.py runs the engine itself: no input validation walk (~200 us on
    # 5 KB; inputs are JSON by construction), no null conversion (to_json does
    # it, bounded by the output cap), and frames that never touch engine state.
    return CompiledExpression(source, engine, rewritten)


def _parse(source: str, rewritten: Rewritten) -> Any:
    def invalid(message: str, position: int | None, code: str | None = None) -> ExpressionError:
        mapped = rewritten.original_position(position) if position is not None else None
        return ExpressionError(
            ExpressionCode.INVALID_EXPR, message, source=source, position=mapped, jsonata_code=code
        )

    try:
        # jsonata-python's tokenizer reads past the end of a comment that ends the
        # text (JSONata accepts `a /* note */`); a trailing newline keeps positions.
        engine = Jsonata(rewritten.text + "\n", capped_regex_engine)
    except JException as exc:
        raise invalid(engine_message(exc), exc.location, str(exc.error)) from None
    except RecursionError:
        raise invalid("expression nested too deeply", None) from None
    except IndexError:  # the tokenizer again: it runs off the end of an open comment
        if "/*" in rewritten.text:
            raise invalid("comment has no closing */", None, "S0106") from None
        raise invalid("expression ends unexpectedly", None) from None
    except Exception as exc:  # the parser's own bugs and invalid regexes
        raise invalid(f"{type(exc).__name__}: {exc}", None) from None
    if engine.ast is None:
        raise invalid("empty expression", 0)
    return engine
