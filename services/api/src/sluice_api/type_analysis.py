"""The type analysis served to the designer: every step's scope and the publish findings.

One run of the core's ``validate_with_types`` gives both: the issues are
exactly what publishing would report (same tenant workflows known for
``callWorkflow`` checks), the scopes what those checks read against.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
from sluice_http import ProblemError, ProblemItem
from workflow_core.registry import Registry
from workflow_core.typeflow import env_schema
from workflow_core.validation import StepScope, TypeAnalysis, validate_with_types

from sluice_api.publishing import known_workflows
from sluice_api.schemas.definitions import PublishErrorPublic
from sluice_api.schemas.type_analysis import StepScopePublic, TypeAnalysisResult


async def analyse_document(
    conn: asyncpg.Connection,
    registry: Registry,
    tenant_id: str,
    document: Mapping[str, Any],
    *,
    pointer: str = "/definition",
) -> tuple[TypeAnalysisResult, TypeAnalysis]:
    """422 when the document has no ``steps`` array to walk; else scopes and issues."""
    if not isinstance(document.get("steps"), list):
        message = "must be an array of steps"
        raise ProblemError(
            422, "VALIDATION_FAILED", f"the definition cannot be analysed: steps {message}",
            errors=[ProblemItem(pointer=f"{pointer}/steps", message=message)],
        )  # fmt: skip
    known = await known_workflows(conn, tenant_id)
    report, analysis = validate_with_types(document, registry=registry, known_workflows=known)
    result = TypeAnalysisResult(
        steps=[scope_public(scope) for scope in analysis.scopes.values()],
        issues=[PublishErrorPublic.model_validate(error.wire()) for error in report.errors],
    )
    return result, analysis


def scope_public(scope: StepScope) -> StepScopePublic:
    in_catch = scope.env.error.obj is not None
    return StepScopePublic(
        step_path=scope.path,
        step_id=scope.step_id,
        scope=env_schema(scope.env, with_error=in_catch),
    )
