"""``/secrets``: the tenant's encrypted secrets table (SPEC 15, ``sluice_secrets.table``).

Admin only, write-only: a value goes in with ``PUT`` and no answer ever returns
it (list and get show names and metadata). Every change is audited (the name,
who, why; never the value). Steps use a stored secret as
``{"secretRef": "table:<name>"}`` (or the bare name). Off (409
``SECRETS_DISABLED``) unless the server has ``WF_SECRETS_KEY``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Response
from sluice_http import Problem, ProblemError, not_found, sluice_router
from sluice_secrets import SecretMeta, TenantSecretRepository, cipher_from
from sluice_secrets.cipher import SecretCipher

from sluice_api.audit import audit
from sluice_api.deps import Admin, ContextDep
from sluice_api.schemas.secrets import SECRET_NAME, SecretList, SecretPublic, SecretPut

router = sluice_router(prefix="/secrets", tags=["secrets"])
NamePath = Annotated[str, Path(pattern=SECRET_NAME, description="the secret's name")]
RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "no such secret"},
    409: {"model": Problem, "description": "the secrets table is off (no WF_SECRETS_KEY)"},
}


def _public(meta: SecretMeta) -> SecretPublic:
    return SecretPublic.model_validate({**vars(meta), "ref": f"table:{meta.name}"})


def _cipher(ctx: ContextDep) -> SecretCipher:
    if ctx.settings.secrets_key is None:
        raise ProblemError(
            409, "SECRETS_DISABLED", "the secrets table is off: the server has no WF_SECRETS_KEY"
        )
    return cipher_from(ctx.settings)


@router.get("", summary="The tenant's secrets: names and metadata, never values (admin)")
async def list_secrets(ctx: ContextDep, who: Admin) -> SecretList:
    async with ctx.tx() as conn:
        found = await TenantSecretRepository(conn, who.tenant_id).list_secrets()
    return SecretList(items=[_public(m) for m in found])


@router.get("/{name}", summary="One secret's metadata (admin)", responses=RESPONSES)
async def get_secret(ctx: ContextDep, who: Admin, name: NamePath) -> SecretPublic:
    async with ctx.tx() as conn:
        meta = await TenantSecretRepository(conn, who.tenant_id).get_meta(name)
    if meta is None:
        raise not_found("secret", name)
    return _public(meta)


@router.put("/{name}", summary="Create or replace a secret (admin; audited)", responses=RESPONSES)
async def put_secret(
    ctx: ContextDep, who: Admin, name: NamePath, body: SecretPut, response: Response
) -> SecretPublic:
    cipher, now = _cipher(ctx), ctx.clock()
    async with ctx.tx() as conn:
        meta, created = await TenantSecretRepository(conn, who.tenant_id).put(
            cipher, name, body.value.get_secret_value(), description=body.description,
            by=who.subject, now=now,
        )  # fmt: skip
        action = "secret.create" if created else "secret.replace"
        await audit(conn, who, action, name, at=now, reason=body.reason,
                    details={"description": body.description})  # fmt: skip
    response.status_code = 201 if created else 200
    return _public(meta)


@router.delete("/{name}", status_code=204, summary="Delete a secret (admin; audited)",
               responses=RESPONSES)  # fmt: skip
async def delete_secret(
    ctx: ContextDep, who: Admin, name: NamePath,
    reason: Annotated[str, Query(min_length=1, max_length=2000, description="why (audited)")],
) -> Response:  # fmt: skip
    now = ctx.clock()
    async with ctx.tx() as conn:
        if not await TenantSecretRepository(conn, who.tenant_id).delete(name):
            raise not_found("secret", name)
        await audit(conn, who, "secret.delete", name, at=now, reason=reason)
    return Response(status_code=204)
