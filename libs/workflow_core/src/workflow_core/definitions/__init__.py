"""The definition format of SPEC section 3 as pydantic models."""

from workflow_core.definitions.base import WireModel
from workflow_core.definitions.definition import Definition, definition_json_schema
from workflow_core.definitions.expr import EXPR_KEY, Expr, is_expr
from workflow_core.definitions.paths import (
    ROOT,
    LocatedStep,
    branches,
    child_path,
    parse_path,
    step_at,
    step_pointer,
    walk_steps,
)
from workflow_core.definitions.policies import OnErrorPolicy, RetryPolicy
from workflow_core.definitions.steps import (
    CALL_WORKFLOW,
    CONTROL_TYPES,
    FOR_EACH,
    IF,
    RETURN,
    TRY_CATCH,
    AnyStep,
    BlockStep,
    CallWorkflowStep,
    ForEachStep,
    IfStep,
    NodeStep,
    ReturnStep,
    Step,
    TryCatchStep,
)
from workflow_core.definitions.triggers import (
    CatchUp,
    EventTrigger,
    ScheduleTrigger,
    Trigger,
    WebhookTrigger,
)

__all__ = [
    "CALL_WORKFLOW",
    "CONTROL_TYPES",
    "EXPR_KEY",
    "FOR_EACH",
    "IF",
    "RETURN",
    "ROOT",
    "TRY_CATCH",
    "AnyStep",
    "BlockStep",
    "CallWorkflowStep",
    "CatchUp",
    "Definition",
    "EventTrigger",
    "Expr",
    "ForEachStep",
    "IfStep",
    "LocatedStep",
    "NodeStep",
    "OnErrorPolicy",
    "RetryPolicy",
    "ReturnStep",
    "ScheduleTrigger",
    "Step",
    "Trigger",
    "TryCatchStep",
    "WebhookTrigger",
    "WireModel",
    "branches",
    "child_path",
    "definition_json_schema",
    "is_expr",
    "parse_path",
    "step_at",
    "step_pointer",
    "walk_steps",
]
