"""``/dead-letters``: the PostgreSQL mirror of ``wf.dlq``; list, count and requeue."""

from __future__ import annotations

from sluice_http import Problem, ProblemError, not_found, sluice_router
from sluice_storage import DeadLetterRecord, DeadLetterRepository
from sluice_storage.requeue import enqueue_raw

from sluice_api.audit import audit
from sluice_api.deps import Admin, ContextDep, CursorQuery, LetterIdPath, LimitQuery, Viewer
from sluice_api.schemas.common import OperatorRequest, Page
from sluice_api.schemas.dead_letters import DeadLetterPublic, DeadLetterSummaryPublic

router = sluice_router(prefix="/dead-letters", tags=["dead letters"])


def letter_public(letter: DeadLetterRecord) -> DeadLetterPublic:
    key = letter.key.decode("utf-8", "replace") if letter.key is not None else None
    return DeadLetterPublic(
        id=letter.id, topic=letter.topic, partition=letter.partition, offset=letter.offset,
        key=key, payload=letter.payload, headers=letter.headers, reason=letter.reason,
        created_at=letter.created_at, requeued_at=letter.requeued_at,
    )  # fmt: skip


@router.get("", summary="List dead-lettered messages (newest first)")
async def list_dead_letters(
    ctx: ContextDep, who: Viewer, cursor: CursorQuery = None, limit: LimitQuery = None
) -> Page[DeadLetterPublic]:
    async with ctx.tx() as conn:
        page = await DeadLetterRepository(conn, who.tenant_id).list_letters(
            cursor=cursor, limit=limit
        )
    return Page(items=[letter_public(d) for d in page.items], next_cursor=page.next_cursor)


@router.get("/summary", summary="Count the dead letters waiting and requeued")
async def dead_letter_summary(ctx: ContextDep, who: Viewer) -> DeadLetterSummaryPublic:
    async with ctx.tx() as conn:
        waiting, requeued = await DeadLetterRepository(conn, who.tenant_id).counts()
    return DeadLetterSummaryPublic(waiting=waiting, requeued=requeued)


@router.post(
    "/{id}/requeue", summary="Publish the message to its original topic again",
    responses={409: {"model": Problem, "description": "the message is not JSON"}},
)  # fmt: skip
async def requeue_dead_letter(
    ctx: ContextDep, who: Admin, letter_id: LetterIdPath, body: OperatorRequest
) -> DeadLetterPublic:
    now = ctx.clock()
    async with ctx.tx() as conn:
        repo = DeadLetterRepository(conn, who.tenant_id)
        letter = await repo.get(letter_id)
        if letter is None:
            raise not_found("dead letter", letter_id)
        if letter.payload is None:
            detail = "the message is not JSON; fix it at its producer instead of requeueing"
            raise ProblemError(409, "NOT_REQUEUEABLE", detail)
        key = letter.key.decode("utf-8", "replace") if letter.key is not None else None
        await enqueue_raw(conn, who.tenant_id, letter.topic, key, letter.payload)
        await repo.mark_requeued(letter_id, now)
        await audit(
            conn,
            who,
            "dead-letter.requeue",
            letter_id,
            at=now,
            reason=body.reason,
            details={"topic": letter.topic},
        )
        requeued = await repo.get(letter_id)
    assert requeued is not None
    return letter_public(requeued)
