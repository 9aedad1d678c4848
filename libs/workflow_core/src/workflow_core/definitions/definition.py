"""The workflow definition document (SPEC section 3)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from workflow_core.definitions.base import WireModel
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
    steps: list[Step]

    @classmethod
    def parse(cls, document: dict[str, Any]) -> Definition:
        """Parse a draft document; a ``version`` key is ignored (SPEC section 11)."""
        return cls.model_validate({k: v for k, v in document.items() if k != "version"})


def definition_json_schema() -> dict[str, Any]:
    """JSON Schema of the definition format itself, for the designer."""
    return Definition.model_json_schema(by_alias=True, mode="validation")
