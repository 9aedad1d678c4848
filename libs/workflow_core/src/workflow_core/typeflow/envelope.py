"""The envelope's shape at a step (SPEC section 4): ``payload``, ``vars``, ``meta``, ``error``.

``vars`` starts empty and closed: a name is there only once a step on every
path to here wrote it (on some paths only: ``Presence.SOME_PATHS``). ``meta``
holds ``state``, ``traceId``, ``tags`` and ``redactions``. ``error`` is null
except inside a ``catch`` (SPEC section 7), where it has the shape of
``StepError.envelope_form``; ``event`` exists only in an ``event.wait``'s
``assign`` expressions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from workflow_core.errors import ErrorCategory
from workflow_core.typeflow.shapes import (
    ANY,
    INTEGER,
    NULL,
    STRING,
    Field,
    ObjShape,
    Shape,
    array_of,
    closed_object,
    join,
    join_all,
    of_value,
    open_map,
    scalar,
)

ROOTS = ("payload", "vars", "meta", "error")
NULLABLE_STRING = scalar("string", "null")

ERROR_SHAPE = closed_object(
    {
        "name": STRING,
        "category": join_all(of_value(category.value) for category in ErrorCategory),
        "message": STRING,
        "nodePath": NULLABLE_STRING,
        "stepId": NULLABLE_STRING,
        "at": NULLABLE_STRING,
        "data": open_map(),
    },
    origin="a step error",
)
META_SHAPE = closed_object(
    {
        "state": NULLABLE_STRING,
        "traceId": NULLABLE_STRING,
        "tags": open_map(STRING),
        "redactions": array_of(STRING),
    },
    origin="meta",
)
EVENT_SHAPE = closed_object(
    {
        "eventId": STRING,
        "eventName": STRING,
        "correlationKey": STRING,
        "payload": ANY,
        "receivedAt": STRING,
    },
    origin="the event",
)
ITEM_ERRORS_SHAPE = array_of(closed_object({"index": INTEGER, "error": ERROR_SHAPE}))
EMPTY_VARS = Shape(obj=ObjShape(), origin="vars")


@dataclass(frozen=True)
class Env:
    payload: Shape
    vars: Shape
    meta: Shape
    error: Shape

    def root(self, name: str) -> Shape:
        return getattr(self, name) if name in ROOTS else ANY

    def with_root(self, name: str, shape: Shape) -> Env:
        return replace(self, **{name: shape})

    def context(self, *, event: bool = False) -> Shape:
        """The expression context of SPEC section 5: exactly these names."""
        roots: dict[str, Shape | Field] = {name: self.root(name) for name in ROOTS}
        if event:
            roots["event"] = EVENT_SHAPE
        return closed_object(roots, origin="the expression context")


def initial_env(payload: Shape) -> Env:
    return Env(payload=payload, vars=EMPTY_VARS, meta=META_SHAPE, error=NULL)


def child_final_env() -> Env:
    """A child run's final envelope, as a callWorkflow's outputMapping sees it: its
    payload and vars are the child definition's business (unknown here)."""
    return Env(payload=ANY, vars=ANY, meta=ANY, error=NULL)


def join_env(a: Env | None, b: Env | None) -> Env | None:
    """Where two paths meet; None is a path that never gets here (a return)."""
    if a is None:
        return b
    if b is None:
        return a
    return Env(*(join(a.root(name), b.root(name)) for name in ROOTS))
