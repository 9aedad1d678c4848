"""Sluice pure workflow core.

The interpreter's main names are re-exported here (``from workflow_core import
advance``); see ``workflow_core.interpreter`` for the contract of ``advance``.
They load lazily, so ``import workflow_core`` alone stays as light as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workflow_core.interpreter import (
        COMMAND_ADAPTER,
        EFFECT_ADAPTER,
        Command,
        Effect,
        RunState,
        RunStatus,
        Transition,
        advance,
        payload_violations,
    )

__all__ = [
    "COMMAND_ADAPTER",
    "EFFECT_ADAPTER",
    "Command",
    "Effect",
    "RunState",
    "RunStatus",
    "Transition",
    "advance",
    "payload_violations",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from workflow_core import interpreter

        return getattr(interpreter, name)
    raise AttributeError(f"module 'workflow_core' has no attribute {name!r}")
