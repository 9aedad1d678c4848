"""JSON Schema checks where an Expr may stand in for a value.

Decision: for publish validation an Expr (``{"$expr": "..."}``) satisfies
*any* schema at its location, because its value is only known at run time
(the run-time checks of resolved config, args and outputs still apply). Node
steps' *structural* fields (``actionId``, ``saveAs``, ...; see
``literal_fields``) must be literals: publish needs them to find the action,
the form schema or the write path. Everything around an Expr is still
checked: required keys, unknown keys, literal siblings.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError as SchemaValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import Draft202012Validator, extend

from workflow_core.definitions import is_expr
from workflow_core.validation.report import did_you_mean

Keyword = Callable[[Any, Any, Any, Any], Iterator[SchemaValidationError] | None]


def _skip_exprs(keyword: Keyword) -> Keyword:
    def check(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
        if is_expr(instance):
            return
        errors = keyword(validator, value, instance, schema)
        if errors is not None:
            yield from errors

    return check


# jsonschema's stubs leave ``extend`` untyped.
_ExprTolerant = extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    {name: _skip_exprs(keyword) for name, keyword in Draft202012Validator.VALIDATORS.items()},
)


@lru_cache(maxsize=512)
def _validator(schema_json: str) -> Any:
    return _ExprTolerant(json.loads(schema_json), format_checker=jsonschema.FormatChecker())


def expr_tolerant_violations(
    schema: Mapping[str, Any], instance: Any, *, prefix: str, limit: int = 50
) -> list[str]:
    """Readable violations (``config/version: 0 is less than the minimum of 1``), sorted."""
    validator = _validator(json.dumps(schema, sort_keys=True, default=str))
    errors = sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.path])
    return [f"{prefix}{_pointer(e.absolute_path)}: {_message(e)}" for e in errors[:limit]]


def _message(error: SchemaValidationError) -> str:
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        declared = list(schema.get("properties") or {})
        extra = [f"{key!r}{did_you_mean(key, declared)}" for key in error.instance]
        extra = [
            text for key, text in zip(error.instance, extra, strict=True) if key not in declared
        ]
        return f"unknown field{'s' if len(extra) > 1 else ''} {', '.join(extra)}"
    if error.validator == "oneOf" and not error.context:
        return "matches more than one alternative of oneOf; exactly one must match"
    if error.validator in ("oneOf", "anyOf") and error.context:
        return f"{best_match(error.context).message} (no alternative of {error.validator} matches)"
    if "$expr" in (schema.get("required") or []):
        return 'must be an expression {"$expr": "<JSONata source>"}'
    return error.message


def _pointer(path: Any) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def contains_expr(value: Any) -> bool:
    """True when ``value`` is or holds an Expr at any depth."""
    if is_expr(value):
        return True
    if isinstance(value, dict):
        return any(contains_expr(child) for child in value.values())
    if isinstance(value, list):
        return any(contains_expr(child) for child in value)
    return False
