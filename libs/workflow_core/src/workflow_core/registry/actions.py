"""Action registry keyed by ``(id, version)``.

The core keeps each action's contract (schemas, side effects, retry hint,
idempotency mode, UI metadata); the services own the handler that runs it,
so ``handler`` is opaque here and never called by the core.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from workflow_core.definitions.policies import RetryPolicy
from workflow_core.errors import RegistryError
from workflow_core.json_schema import schema_problem
from workflow_core.registry.metadata import UiMetadata

ACTION_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")


class IdempotencyMode(StrEnum):
    ENGINE = "engine"  # the engine derives or evaluates the key (SPEC section 9)
    ACTION = "action"  # the action deduplicates by its own business key


@dataclass(frozen=True)
class ActionSpec:
    action_id: str
    version: int
    input_schema: Mapping[str, Any]
    output_schema: Mapping[str, Any]
    side_effectful: bool
    ui: UiMetadata
    retry_hint: RetryPolicy | None = None
    idempotency: IdempotencyMode = IdempotencyMode.ENGINE
    handler: object | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.action_id, self.version)

    def public(self) -> dict[str, Any]:
        return {
            "actionId": self.action_id,
            "version": self.version,
            "inputSchema": copy.deepcopy(dict(self.input_schema)),
            "outputSchema": copy.deepcopy(dict(self.output_schema)),
            "sideEffectful": self.side_effectful,
            "idempotency": self.idempotency.value,
            "retryHint": self.retry_hint.dump() if self.retry_hint else None,
            "ui": self.ui.public(),
        }


class ActionRegistry:
    def __init__(self) -> None:
        self._specs: dict[tuple[str, int], ActionSpec] = {}
        self._frozen = False

    def register(self, spec: ActionSpec) -> None:
        if self._frozen:
            raise RegistryError(f"action registry is frozen; cannot register {spec.key!r}")
        _check_action(spec)
        if spec.key in self._specs:
            raise RegistryError(f"action {spec.action_id!r} v{spec.version} is already registered")
        self._specs[spec.key] = spec

    def freeze(self) -> None:
        self._frozen = True

    def get(self, action_id: str, version: int) -> ActionSpec | None:
        return self._specs.get((action_id, version))

    def versions(self, action_id: str) -> list[int]:
        return sorted(v for (a, v) in self._specs if a == action_id)

    def all(self) -> list[ActionSpec]:
        return [self._specs[key] for key in sorted(self._specs)]


def _check_action(spec: ActionSpec) -> None:
    label = f"action {spec.action_id!r} v{spec.version}"
    if not ACTION_ID.match(spec.action_id):
        raise RegistryError(f"{label}: id must be lower_snake_case (dots allowed)")
    if spec.version < 1:
        raise RegistryError(f"{label}: version must be >= 1")
    for which, schema in (("input", spec.input_schema), ("output", spec.output_schema)):
        problem = schema_problem(schema)
        if problem:
            raise RegistryError(f"{label} {which} schema: {problem}")
