"""Draft autosave without lost updates: ETag on every draft answer, If-Match on PUT (412)."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.integration


async def _new_draft(admin: httpx.AsyncClient) -> tuple[str, str]:
    created = await admin.post("/workflow-definitions", json={"name": "v1", "steps": []})
    assert created.status_code == 201, created.text
    return created.json()["id"], created.headers["etag"]


async def test_draft_etag_is_the_same_on_create_and_get(admin: httpx.AsyncClient) -> None:
    workflow_id, tag = await _new_draft(admin)
    fetched = await admin.get(f"/workflow-definitions/{workflow_id}/draft")
    assert fetched.headers["etag"] == tag
    assert tag.startswith('"')  # a strong tag (no W/): If-Match compares it
    assert tag.endswith('"')


async def test_put_with_the_current_etag_saves_and_answers_the_next_one(
    admin: httpx.AsyncClient,
) -> None:
    workflow_id, tag = await _new_draft(admin)
    saved = await admin.put(
        f"/workflow-definitions/{workflow_id}/draft",
        json={"name": "v2", "steps": []},
        headers={"If-Match": tag},
    )
    assert saved.status_code == 200, saved.text
    assert saved.headers["etag"] != tag
    fetched = await admin.get(f"/workflow-definitions/{workflow_id}/draft")
    assert fetched.headers["etag"] == saved.headers["etag"]


async def test_put_with_a_stale_etag_is_412_and_keeps_the_other_edit(
    admin: httpx.AsyncClient,
) -> None:
    workflow_id, stale = await _new_draft(admin)
    elsewhere = await admin.put(
        f"/workflow-definitions/{workflow_id}/draft", json={"name": "theirs", "steps": []}
    )
    assert elsewhere.status_code == 200
    mine = await admin.put(
        f"/workflow-definitions/{workflow_id}/draft",
        json={"name": "mine", "steps": []},
        headers={"If-Match": stale},
    )
    assert mine.status_code == 412
    assert mine.headers["content-type"] == "application/problem+json"
    assert mine.json()["code"] == "PRECONDITION_FAILED"
    assert "changed elsewhere" in mine.json()["detail"]
    kept = await admin.get(f"/workflow-definitions/{workflow_id}/draft")
    assert kept.json()["definition"]["name"] == "theirs"


async def test_put_if_match_star_or_a_listed_tag_matches(admin: httpx.AsyncClient) -> None:
    workflow_id, tag = await _new_draft(admin)
    listed = await admin.put(
        f"/workflow-definitions/{workflow_id}/draft",
        json={"name": "listed", "steps": []},
        headers={"If-Match": f'"other", {tag}'},
    )
    assert listed.status_code == 200
    star = await admin.put(
        f"/workflow-definitions/{workflow_id}/draft",
        json={"name": "star", "steps": []},
        headers={"If-Match": "*"},
    )
    assert star.status_code == 200


async def test_equal_drafts_have_equal_etags(admin: httpx.AsyncClient) -> None:
    workflow_id, tag = await _new_draft(admin)
    again = await admin.put(
        f"/workflow-definitions/{workflow_id}/draft", json={"name": "v1", "steps": []}
    )
    assert again.headers["etag"] == tag
