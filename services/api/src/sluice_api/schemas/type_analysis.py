"""Wire shapes of the type analysis (the designer's field picker and inline findings)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sluice_api.schemas.common import WireModel
from sluice_api.schemas.definitions import PublishErrorPublic


class TypeAnalysisRequest(WireModel):
    """A definition document as the designer holds it (saved or not)."""

    definition: dict[str, Any] = Field(description="the SPEC 3 document to analyse")


class StepScopePublic(WireModel):
    step_path: str = Field(examples=["root.steps[1].try.steps[3]"])
    step_id: str | None = None
    scope: dict[str, Any] = Field(
        description=(
            "JSON Schema of the envelope {payload, vars, meta, error?} the step sees; "
            "error only inside a catch. A variable written on some paths only is left out "
            'of required and marked "x-presence": "somePaths"; "x-writtenBy" lists the '
            "step paths that write it; {} is a value nothing is known about"
        )
    )


class TypeAnalysisResult(WireModel):
    steps: list[StepScopePublic] = Field(description="every step, in document order")
    issues: list[PublishErrorPublic] = Field(
        description="what publishing would report, located by stepPath and pointer"
    )
