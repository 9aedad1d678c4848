"""The nested roles of SPEC 13: each role can do everything the ones below it can."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    VIEW = "workflow.view"  # read everything of the tenant
    MANAGE = "workflow.manage"  # drafts, start runs, submit events, complete tasks
    PUBLISH = "workflow.publish"  # + publish
    ADMIN = "workflow.admin"  # + cancel, resume, retry, replay, requeue, tokens


RANK = {role: rank for rank, role in enumerate(Role)}


def allows(held: str, needed: Role) -> bool:
    """True when ``held`` is ``needed`` or above it; an unknown role allows nothing."""
    try:
        return RANK[Role(held)] >= RANK[needed]
    except ValueError:
        return False


@dataclass(frozen=True)
class Principal:
    """Who is calling: from the bearer token, never from the request body."""

    tenant_id: str
    subject: str
    role: str
    token_id: str
