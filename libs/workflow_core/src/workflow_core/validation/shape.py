"""Shape checks (INVALID_DEFINITION), one step at a time.

The raw document is validated piecewise: the root without its steps, then
every step with its branches emptied, then each branch's steps in turn. So a
broken step is reported at its own path and does not hide errors in its
siblings or in its nested steps.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from workflow_core.definitions import (
    FOR_EACH,
    IF,
    ROOT,
    TRY_CATCH,
    AnyStep,
    CallWorkflowStep,
    Definition,
    ForEachStep,
    IfStep,
    NodeStep,
    ReturnStep,
    TryCatchStep,
    child_path,
)
from workflow_core.errors import PublishCode
from workflow_core.validation.report import Findings, did_you_mean

_MODELS: dict[str, type[BaseModel]] = {
    IF: IfStep,
    FOR_EACH: ForEachStep,
    TRY_CATCH: TryCatchStep,
    "control.callWorkflow": CallWorkflowStep,
    "control.return": ReturnStep,
}
BRANCH_FIELDS: dict[str, tuple[str, ...]] = {
    IF: ("then", "else"),
    FOR_EACH: ("body",),
    TRY_CATCH: ("try", "catch"),
}


@dataclass(frozen=True)
class RawStep:
    """One step of the draft: where it is, what was written, and its model if valid.

    A block's ``model`` has its branches emptied: nested steps are separate entries.
    """

    path: str
    raw: Any
    step_id: str | None
    model: AnyStep | None


@dataclass(frozen=True)
class ParsedDraft:
    root: Definition | None
    raw_root: Mapping[str, Any]
    steps: list[RawStep]

    def order(self) -> dict[str, int]:
        """Document position of every step path (``root`` first)."""
        return {ROOT: -1, **{step.path: index for index, step in enumerate(self.steps)}}


def parse_draft(document: Any, findings: Findings) -> ParsedDraft:
    if not isinstance(document, Mapping):
        findings.error(PublishCode.INVALID_DEFINITION, ROOT, "a definition is a JSON object", None)
        return ParsedDraft(None, {}, [])
    raw_steps = document.get("steps")
    root_doc = {k: v for k, v in document.items() if k != "version"}
    if isinstance(raw_steps, list):
        root_doc["steps"] = []
    root = _validate(Definition, root_doc, ROOT, None, findings)
    steps = list(_walk(raw_steps, ROOT, "", findings)) if isinstance(raw_steps, list) else []
    return ParsedDraft(root if isinstance(root, Definition) else None, document, steps)


def _walk(raw_steps: list[Any], parent: str, branch: str, findings: Findings) -> Iterator[RawStep]:
    for index, raw in enumerate(raw_steps):
        path = child_path(parent, branch, index)
        if not isinstance(raw, Mapping):
            findings.error(PublishCode.INVALID_DEFINITION, path, "a step is a JSON object", None)
            yield RawStep(path, raw, None, None)
            continue
        step_type = raw.get("type")
        fields = BRANCH_FIELDS.get(step_type, ()) if isinstance(step_type, str) else ()
        emptied = {k: ([] if k in fields and isinstance(v, list) else v) for k, v in raw.items()}
        step_id = raw.get("id") if isinstance(raw.get("id"), str) else None
        model_type = _MODELS.get(step_type, NodeStep) if isinstance(step_type, str) else NodeStep
        model = _validate(model_type, emptied, path, step_id, findings)
        yield RawStep(path, raw, step_id, cast(AnyStep | None, model))
        for name in fields:
            nested = raw.get(name)
            if isinstance(nested, list):
                yield from _walk(nested, path, name, findings)


def _validate(
    model: type[BaseModel], data: Mapping[str, Any], path: str, step_id: str | None, f: Findings
) -> BaseModel | None:
    try:
        return model.model_validate(dict(data))
    except ValidationError as error:
        for detail in error.errors(include_url=False):
            f.error(PublishCode.INVALID_DEFINITION, path, describe(detail, model), step_id)
        return None


def describe(detail: ErrorDetails, model: type[BaseModel]) -> str:
    """A readable line for one pydantic error: ``field 'itemVar' is required``."""
    parts = list(detail["loc"])
    if len(parts) > 2 and parts[0] == "trigger":
        del parts[1]  # the union's tag ("schedule"): the author wrote trigger.cron
    loc = ".".join(str(part) for part in parts)
    if detail["type"] == "missing":
        return f"field {loc!r} is required"
    if detail["type"] == "extra_forbidden":
        known = [field.alias or name for name, field in model.model_fields.items()]
        hint = did_you_mean(str(detail["loc"][-1]), known) if len(detail["loc"]) == 1 else ""
        return f"unknown field {loc!r}{hint}"
    message = detail["msg"].removeprefix("Value error, ")
    return f"field {loc!r}: {message}" if loc else message
