"""Step shapes of SPEC section 3: node steps and the five control blocks.

A step's ``type`` selects its shape: the ``control.*`` names are the blocks,
any other name is a node step whose ``config`` the node type's schema checks.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, JsonValue, Tag

from workflow_core.definitions.base import WireModel
from workflow_core.definitions.expr import Expr
from workflow_core.definitions.policies import OnErrorPolicy, RetryPolicy

IF = "control.if"
FOR_EACH = "control.forEach"
TRY_CATCH = "control.tryCatch"
CALL_WORKFLOW = "control.callWorkflow"
RETURN = "control.return"
CONTROL_TYPES = frozenset({IF, FOR_EACH, TRY_CATCH, CALL_WORKFLOW, RETURN})

# Items of one parallel loop in flight at most: each holds a copy of the envelope.
MAX_CONCURRENCY = 100

StepId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:-]+$")]
VarName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class StepBase(WireModel):
    id: StepId
    name: str | None = None


class NodeStep(StepBase):
    """Runs a registered node type (``state.set``, ``action.call``, ...)."""

    type: Annotated[
        str,
        Field(
            min_length=1,
            pattern=r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$",
            # the control.* names select the block shapes (JSON Schema: exactly one matches)
            json_schema_extra={"not": {"enum": sorted(CONTROL_TYPES)}},
        ),
    ]
    config: dict[str, JsonValue] = Field(default_factory=dict)
    retry: RetryPolicy | None = None
    on_error: OnErrorPolicy | None = None


class IfStep(StepBase):
    type: Literal["control.if"]
    condition: Expr
    then: list[Step]
    else_: list[Step] | None = Field(default=None, alias="else")


class ForEachStep(StepBase):
    type: Literal["control.forEach"]
    items: Expr
    item_var: VarName
    concurrency: int = Field(default=1, ge=1, le=MAX_CONCURRENCY)
    body: list[Step]
    on_item_error: Literal["continue", "fail"] = "fail"
    tolerated_failure_count: int | None = Field(default=None, ge=0)
    tolerated_failure_percentage: float | None = Field(default=None, ge=0, le=100)


class TryCatchStep(StepBase):
    type: Literal["control.tryCatch"]
    try_: list[Step] = Field(alias="try")
    catch: list[Step]
    capture_error_as: VarName | None = None


class CallWorkflowStep(StepBase):
    type: Literal["control.callWorkflow"]
    workflow_id: str = Field(min_length=1)
    workflow_version: int | None = Field(default=None, ge=1)
    input_mapping: dict[str, Expr] | None = None
    output_mapping: dict[str, Expr] | None = None


class ReturnStep(StepBase):
    type: Literal["control.return"]


def _step_tag(value: Any) -> str:
    step_type = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return step_type if step_type in CONTROL_TYPES else "node"


Step = Annotated[
    Annotated[IfStep, Tag(IF)]
    | Annotated[ForEachStep, Tag(FOR_EACH)]
    | Annotated[TryCatchStep, Tag(TRY_CATCH)]
    | Annotated[CallWorkflowStep, Tag(CALL_WORKFLOW)]
    | Annotated[ReturnStep, Tag(RETURN)]
    | Annotated[NodeStep, Tag("node")],
    Discriminator(_step_tag),
]

BlockStep = IfStep | ForEachStep | TryCatchStep | CallWorkflowStep | ReturnStep
AnyStep = BlockStep | NodeStep

for _model in (IfStep, ForEachStep, TryCatchStep):
    _model.model_rebuild()
