"""The workflow definition document (SPEC section 3)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from workflow_core.definitions.base import WireModel
from workflow_core.definitions.flow_control import AutoPause, Concurrency
from workflow_core.definitions.steps import Step
from workflow_core.definitions.triggers import Trigger


class Definition(WireModel):
    """A workflow: a pipeline of steps run top to bottom."""

    id: str | None = None
    name: str = Field(min_length=1, max_length=200)
    description: str | None = None
    payload_schema_ref: str | None = None
    trigger: Trigger | None = None
    # Type-analysis findings (UNKNOWN_FIELD, TYPE_MISMATCH, ...) block publishing.
    strict_types: bool = False
    # Flow control (``flow_control``): runs in flight per key, pause on failures.
    concurrency: Concurrency | None = None
    auto_pause: AutoPause | None = None
    steps: list[Step]

    @classmethod
    def parse(cls, document: dict[str, Any]) -> Definition:
        """Parse a draft document; a ``version`` key is ignored (SPEC section 11)."""
        return cls.model_validate({k: v for k, v in document.items() if k != "version"})


SCHEMA_ID = "https://sluice.dev/schemas/workflow-definition.json"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def definition_json_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of the definition format, generated from :class:`Definition`:
    the document the API serves at ``/schemas/workflow-definition.json``, committed as
    ``schemas/workflow-definition.schema.json`` for editors.

    It checks the shape only; what a node's ``config`` holds, whether expressions
    parse and what the steps may read is publish validation's (``sluice definitions
    validate``). A top-level ``$schema`` (an editor's hint) is allowed here and dropped
    by the ``sluice definitions`` commands before anything else reads the file.
    """
    generated = Definition.model_json_schema(by_alias=True, mode="validation")
    properties = {
        "$schema": {"type": "string", "description": "the schema's URL, for editors; "
                    "dropped by `sluice definitions validate|apply`"},
        **generated.pop("properties"),
    }  # fmt: skip
    head = {
        "$schema": SCHEMA_DIALECT,
        "$id": SCHEMA_ID,
        "title": "Sluice workflow definition",
        "description": "A workflow: a pipeline of steps run top to bottom (SPEC section 3).",
        "type": "object",
        "properties": properties,
    }
    return {**head, **{k: v for k, v in generated.items() if k not in head}}
