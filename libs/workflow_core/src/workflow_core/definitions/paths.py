"""Step paths (SPEC section 3): ``root.steps[0].try.steps[0].then.steps[2]``.

One grammar for ``stepPath`` in publish errors and ``nodePath`` in runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from workflow_core.definitions.steps import AnyStep, ForEachStep, IfStep, TryCatchStep

ROOT = "root"
_SEGMENT = re.compile(
    r"\.(steps|then\.steps|else\.steps|try\.steps|catch\.steps|body\.steps)\[(\d+)\]"
)


def child_path(parent: str, branch: str, index: int) -> str:
    """``branch`` is ``""`` for the top level, else then/else/try/catch/body."""
    return f"{parent}.{branch + '.' if branch else ''}steps[{index}]"


def branches(step: AnyStep) -> list[tuple[str, Sequence[AnyStep]]]:
    """The nested pipelines of a block, by branch name, in document order."""
    if isinstance(step, IfStep):
        return [("then", step.then), ("else", step.else_ or [])]
    if isinstance(step, ForEachStep):
        return [("body", step.body)]
    if isinstance(step, TryCatchStep):
        return [("try", step.try_), ("catch", step.catch)]
    return []


@dataclass(frozen=True)
class LocatedStep:
    path: str
    step: AnyStep
    ancestors: tuple[AnyStep, ...]


def walk_steps(
    steps: Sequence[AnyStep], path: str = ROOT, branch: str = ""
) -> Iterator[LocatedStep]:
    """Every step of the tree, depth first in document order, with its path."""
    yield from _walk(steps, path, branch, ())


def _walk(
    steps: Sequence[AnyStep], parent: str, branch: str, ancestors: tuple[AnyStep, ...]
) -> Iterator[LocatedStep]:
    for index, step in enumerate(steps):
        path = child_path(parent, branch, index)
        yield LocatedStep(path, step, ancestors)
        for name, nested in branches(step):
            yield from _walk(nested, path, name, (*ancestors, step))


def parse_path(path: str) -> list[tuple[str, int]]:
    """``root.steps[0].then.steps[2]`` -> ``[("", 0), ("then", 2)]``; ValueError if malformed."""
    if not path.startswith(ROOT):
        raise ValueError(f"step path must start with {ROOT!r}: {path!r}")
    rest, parts, position = path[len(ROOT) :], [], 0
    for match in _SEGMENT.finditer(rest):
        if match.start() != position:
            break
        kind = match.group(1)
        parts.append(("" if kind == "steps" else kind.split(".")[0], int(match.group(2))))
        position = match.end()
    if position != len(rest):
        raise ValueError(f"malformed step path: {path!r}")
    return parts


def step_pointer(path: str) -> str:
    """The JSON pointer of a step in the document: ``root.steps[1].try.steps[3]`` ->
    ``/steps/1/try/3`` (``""`` for ``root``); ValueError if malformed."""
    return "".join(
        f"/{branch}/{index}" if branch else f"/steps/{index}" for branch, index in parse_path(path)
    )


def step_at(steps: Sequence[AnyStep], path: str) -> AnyStep:
    """The step a path names; KeyError when it does not exist."""
    current: Sequence[AnyStep] = steps
    found: AnyStep | None = None
    for branch, index in parse_path(path):
        if found is not None:
            current = dict(branches(found)).get(branch, [])
        elif branch:
            raise KeyError(path)
        if index >= len(current):
            raise KeyError(path)
        found = current[index]
    if found is None:
        raise KeyError(path)
    return found


def called_workflows(node: Any) -> set[str]:
    """Every ``workflowId`` a ``control.callWorkflow`` step names, at any depth."""
    found: set[str] = set()
    if isinstance(node, dict):
        if node.get("type") == "control.callWorkflow" and isinstance(node.get("workflowId"), str):
            found.add(node["workflowId"])
        for child in node.values():
            found |= called_workflows(child)
    elif isinstance(node, list):
        for child in node:
            found |= called_workflows(child)
    return found
