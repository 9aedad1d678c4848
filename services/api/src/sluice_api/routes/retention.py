"""``/retention-policies`` and ``/workflow-runs/{runId}/legal-hold`` (SPEC 10).

Final runs (with their history), events and dead letters are purged by the
scheduler after their policy's days; a legal hold keeps one run past any
policy. Changes are admin-only, need a reason and are audited.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from sluice_http import Problem, not_found, sluice_router
from sluice_storage import RunRepository
from sluice_storage.retention import TENANT_DEFAULT, RetentionPolicy, RetentionRepository

from sluice_api.audit import audit
from sluice_api.deps import Admin, ContextDep, RunIdPath, Viewer
from sluice_api.schemas.common import OperatorRequest
from sluice_api.schemas.retention import (
    LegalHoldPublic,
    RetentionPoliciesPublic,
    RetentionPolicyPublic,
    RetentionPolicyPut,
)

router = sluice_router(tags=["retention"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "no such run (or policy)"}
}


def _public(policy: RetentionPolicy) -> RetentionPolicyPublic:
    return RetentionPolicyPublic.model_validate(policy, from_attributes=True)


@router.get("/retention-policies", summary="Retention policies of the tenant")
async def list_policies(ctx: ContextDep, who: Viewer) -> RetentionPoliciesPublic:
    async with ctx.tx() as conn:
        policies = await RetentionRepository(conn, who.tenant_id).policies()
    return RetentionPoliciesPublic(
        default_days=ctx.settings.retention_days, items=[_public(p) for p in policies]
    )


@router.put("/retention-policies", summary="Set the tenant's or one workflow's retention")
async def put_policy(
    ctx: ContextDep, who: Admin, body: RetentionPolicyPut
) -> RetentionPolicyPublic:
    now = ctx.clock()
    async with ctx.tx() as conn:
        repo = RetentionRepository(conn, who.tenant_id)
        existing = {p.scope: p for p in await repo.policies()}
        policy = _policy(body, existing.get(TENANT_DEFAULT), ctx.settings.retention_days)
        await repo.put_policy(policy, now=now, by=who.subject)
        before = existing.get(policy.scope)
        details = {
            "before": _wire(before) if before else None,
            "after": {**_wire(policy), "updatedAt": None, "updatedBy": None},
        }
        await audit(
            conn, who, "retention.update", policy.scope, at=now, reason=body.reason,
            details=details,
        )  # fmt: skip
        saved = {p.scope: p for p in await repo.policies()}[policy.scope]
    return _public(saved)


def _policy(
    body: RetentionPolicyPut, tenant_default: RetentionPolicy | None, server_days: int
) -> RetentionPolicy:
    """The stored policy: kinds the body leaves out follow the tenant's default policy,
    else the server's default days."""
    return RetentionPolicy(
        scope=body.scope.lower(),
        runs_days=body.runs_days,
        events_days=body.events_days
        or (tenant_default.events_days if tenant_default else server_days),
        dead_letters_days=body.dead_letters_days
        or (tenant_default.dead_letters_days if tenant_default else server_days),
    )


def _wire(policy: RetentionPolicy) -> dict[str, object]:
    return _public(policy).model_dump(mode="json", by_alias=True)


@router.delete(
    "/retention-policies/{scope}", summary="Remove a policy (the default applies again)",
    status_code=204, responses=NOT_FOUND,
)  # fmt: skip
async def delete_policy(
    ctx: ContextDep,
    who: Admin,
    scope: Annotated[str, Path(max_length=64, description="'*' or a workflow id")],
    body: OperatorRequest,
) -> None:
    async with ctx.tx() as conn:
        if not await RetentionRepository(conn, who.tenant_id).delete_policy(scope.lower()):
            raise not_found("retention policy", scope)
        await audit(
            conn, who, "retention.delete", scope.lower(), at=ctx.clock(), reason=body.reason
        )


@router.get(
    "/workflow-runs/{runId}/legal-hold", summary="The run's legal hold, if any",
    responses=NOT_FOUND,
)  # fmt: skip
async def get_hold(ctx: ContextDep, who: Viewer, run_id: RunIdPath) -> LegalHoldPublic:
    async with ctx.tx() as conn:
        held = await RetentionRepository(conn, who.tenant_id).hold(run_id)
    if held is None:
        raise not_found("legal hold on run", run_id)
    return LegalHoldPublic.model_validate(held, from_attributes=True)


@router.post(
    "/workflow-runs/{runId}/legal-hold", summary="Keep a run past its retention",
    responses=NOT_FOUND,
)  # fmt: skip
async def place_hold(
    ctx: ContextDep, who: Admin, run_id: RunIdPath, body: OperatorRequest
) -> LegalHoldPublic:
    now = ctx.clock()
    async with ctx.tx() as conn:
        if await RunRepository(conn, who.tenant_id).get(run_id) is None:
            raise not_found("run", run_id)
        held = await RetentionRepository(conn, who.tenant_id).place_hold(
            run_id, now=now, by=who.subject, reason=body.reason
        )
        await audit(conn, who, "run.legal-hold", run_id, at=now, reason=body.reason)
    return LegalHoldPublic.model_validate(held, from_attributes=True)


@router.delete(
    "/workflow-runs/{runId}/legal-hold", summary="Release a run's legal hold",
    status_code=204, responses=NOT_FOUND,
)  # fmt: skip
async def release_hold(
    ctx: ContextDep, who: Admin, run_id: RunIdPath, body: OperatorRequest
) -> None:
    async with ctx.tx() as conn:
        if not await RetentionRepository(conn, who.tenant_id).release_hold(run_id):
            raise not_found("legal hold on run", run_id)
        await audit(conn, who, "run.legal-hold-release", run_id, at=ctx.clock(), reason=body.reason)
