"""Publish validation (SPEC section 11): every located error and warning at once.

``validate_definition(document, registry=..., known_workflows=..., self_id=...)``
takes the raw draft and returns a ``ValidationReport`` (``.ok``, ``.errors``:
``PublishError`` in document order; ``.wire()`` is the publish response body
without ``publishedVersion``).
"""

from workflow_core.validation.context import KnownWorkflows, WorkflowInfo, WorkflowLookup
from workflow_core.validation.report import PublishError, Severity, ValidationReport
from workflow_core.validation.scopes import StepScope, TypeAnalysis, analyse_types
from workflow_core.validation.type_checks import undeclared_reason
from workflow_core.validation.validate import validate_definition, validate_with_types
from workflow_core.validation.write_paths import parse_target

__all__ = [
    "KnownWorkflows",
    "PublishError",
    "Severity",
    "StepScope",
    "TypeAnalysis",
    "ValidationReport",
    "WorkflowInfo",
    "WorkflowLookup",
    "analyse_types",
    "parse_target",
    "undeclared_reason",
    "validate_definition",
    "validate_with_types",
]
