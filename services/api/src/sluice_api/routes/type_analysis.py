"""``POST /workflow/type-analysis``: what every step of a definition can read.

For the designer's field picker and inline findings, on the document as it is
being edited (nothing is stored). The scopes and issues come from the same
analysis publishing runs.
"""

from __future__ import annotations

from sluice_http import Problem, sluice_router

from sluice_api.deps import ContextDep, Viewer
from sluice_api.schemas.type_analysis import TypeAnalysisRequest, TypeAnalysisResult
from sluice_api.type_analysis import analyse_document

router = sluice_router(prefix="/workflow", tags=["type analysis"])


@router.post(
    "/type-analysis",
    summary="The envelope's JSON Schema before every step, and what publish would report",
    responses={422: {"model": Problem, "description": "the definition has no steps array"}},
)
async def type_analysis(
    ctx: ContextDep, who: Viewer, body: TypeAnalysisRequest
) -> TypeAnalysisResult:
    async with ctx.tx() as conn:
        result, _ = await analyse_document(conn, ctx.registry, who.tenant_id, body.definition)
    return result
