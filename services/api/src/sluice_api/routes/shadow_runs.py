"""``POST /workflow-definitions/{id}/draft/shadow-runs``: what would the draft have done
to past runs? (``sluice_api.shadow_runs``; the replay itself is the core's.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import Body
from sluice_http import sluice_router

from sluice_api.deps import ContextDep, DefinitionIdPath, Manager
from sluice_api.schemas.shadow_runs import ShadowRunReport, ShadowRunRequest
from sluice_api.shadow_runs import shadow_draft

router = sluice_router(prefix="/workflow-definitions", tags=["definitions"])

ShadowBody = Annotated[
    ShadowRunRequest,
    Body(
        description='`{"sample": N}`: the N newest finished runs (1 to 50); or `{"runIds": '
        "[...]}`: these finished runs of the workflow (1 to 50)",
        examples=[{"sample": 10}],
    ),
]


@router.post(
    "/{id}/draft/shadow-runs",
    summary="Replay past runs' payloads through the draft, in memory (nothing is written)",
    description=(
        "Each run's recorded trigger payload runs through the current draft with every "
        "side-effectful action answered from the run's recorded invocations (matched by "
        "step, action and occurrence; INPUT_CHANGED when the draft's arguments differ; "
        "NO_RECORDING: a null output), events, task completions and child runs as "
        "recorded, timers at once. Pure actions that need no I/O run for real. The answer "
        "compares both outcomes and lists the draft's calls, redacted as run history is."
    ),
    responses={
        404: {"description": "no such definition, or a named run does not exist"},
        409: {"description": "RUN_NOT_FINISHED: a named run is still running or waiting"},
        422: {"description": "DRAFT_INVALID: the draft does not validate (located), or a "
              "named run belongs to another workflow"},
    },
)  # fmt: skip
async def shadow_runs(
    ctx: ContextDep, who: Manager, workflow_id: DefinitionIdPath, body: ShadowBody
) -> ShadowRunReport:
    return await shadow_draft(ctx, who.tenant_id, workflow_id, body)
