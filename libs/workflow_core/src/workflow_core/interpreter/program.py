"""A definition indexed for the interpreter: steps by node path, pipelines by branch.

Indexing walks the whole tree, so it is memoised per (definition, registry)
object pair; the memo holds the objects themselves, so an id is never reused
for a different definition while its entry lives.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workflow_core.definitions import ROOT, AnyStep, Definition, branches, walk_steps
from workflow_core.registry import Registry

_MEMO_SIZE = 256


@dataclass(frozen=True)
class Program:
    definition: Definition
    registry: Registry
    steps: Mapping[str, AnyStep]
    pipelines: Mapping[tuple[str, str], Sequence[AnyStep]]
    payload_schema: Mapping[str, Any] | None

    def pipeline(self, block_path: str, branch: str) -> Sequence[AnyStep]:
        return self.pipelines.get((block_path, branch), ())


_memo: OrderedDict[tuple[int, int], Program] = OrderedDict()


def program_for(definition: Definition, registry: Registry) -> Program:
    key = (id(definition), id(registry))
    found = _memo.get(key)
    if found is not None and found.definition is definition and found.registry is registry:
        _memo.move_to_end(key)
        return found
    program = _index(definition, registry)
    _memo[key] = program
    if len(_memo) > _MEMO_SIZE:
        _memo.popitem(last=False)
    return program


def _index(definition: Definition, registry: Registry) -> Program:
    steps: dict[str, AnyStep] = {}
    pipelines: dict[tuple[str, str], Sequence[AnyStep]] = {(ROOT, ""): definition.steps}
    for located in walk_steps(definition.steps):
        steps[located.path] = located.step
        for name, nested in branches(located.step):
            pipelines[(located.path, name)] = nested
    ref = definition.payload_schema_ref
    schema = registry.schemas.get(ref) if ref else None
    return Program(definition, registry, steps, pipelines, schema)
