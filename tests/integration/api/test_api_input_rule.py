"""The input rule (services/api/README.md "Input rules"): every value PostgreSQL or
the parser would choke on is a 422 naming its place, never a 500, and nothing is
stored; what the rule keeps is read back exactly. Each case of issue 17 by name."""

from __future__ import annotations

import json

import asyncpg
import httpx
import pytest
from fixtures.tenant_rows import tenant_rows
from workflows import asks_a_human, publish, start

pytestmark = pytest.mark.integration
JSON = {"content-type": "application/json"}
EVENT = '{"eventName": "E", "correlationKey": "k", "payload": %s}'
DEEP = "[" * 65 + "]" * 65

# name: (method, path, body, pointer, message start)
REFUSED = {
    "client_name_with_nul": ("POST", "/clients", '{"name": "a\\u0000b"}', "/name",
                             "U+0000 (NUL) is not allowed in text"),
    "replay_version_beyond_64_bits": ("POST", "/workflow-runs/{run}/replay",
                                      '{"reason": "r", "version": 1152921504606846975}',
                                      "/version", "Input should be less than or equal to"),
    "run_start_version_beyond_int": ("POST", "/workflow-runs",
                                     '{"workflowId": "{wf}", "version": 2147483648}',
                                     "/version", "Input should be less than or equal to"),
    "event_payload_with_nul": ("POST", "/workflow/events", EVENT % '{"a": "x\\u0000"}',
                               "/payload/a", "U+0000 (NUL) is not allowed in text"),
    "event_payload_key_with_nul": ("POST", "/workflow/events", EVENT % '{"a\\u0000": 1}',
                                   "/payload/a\\u0000", "object key: U+0000 (NUL)"),
    "event_payload_lone_surrogate": ("POST", "/workflow/events", EVENT % '["\\ud800"]',
                                     "/payload/0", "a lone surrogate (U+D800) is not Unicode"),
    "event_payload_nested_past_64": ("POST", "/workflow/events", EVENT % DEEP,
                                     "/payload" + "/0" * 63, "nested deeper than 64"),
    "event_payload_nested_past_the_parser": (
        "POST", "/workflow/events", EVENT % ("[" * 50_000 + "]" * 50_000), "",
        "nested deeper than 64 arrays/objects (at character"),
    "event_payload_integer_of_4301_digits": ("POST", "/workflow/events",
                                             EVENT % ("[1" + "0" * 4300 + "]"), "/payload/0",
                                             "10000000000000000000... has 4301 digits"),
    "definition_name_with_nul": ("POST", "/workflow-definitions",
                                 '{"name": "\\u0000", "steps": []}', "/name", "U+0000 (NUL)"),
    "draft_with_lone_surrogate": ("PUT", "/workflow-definitions/{wf}/draft",
                                  '{"name": "n", "steps": [], "x": "\\udfff"}', "/x",
                                  "a lone surrogate (U+DFFF)"),
    "run_payload_with_nul": ("POST", "/workflow-runs",
                             '{"workflowId": "{wf}", "payload": {"a": "\\u0000"}}',
                             "/payload/a", "U+0000 (NUL)"),
    "task_output_with_nul": ("POST", "/human-tasks/{task}/complete",
                             '{"decision": "yes", "note": "\\u0000"}', "/note", "U+0000 (NUL)"),
    "resume_reason_with_nul": ("POST", "/workflow-runs/{run}/resume", '{"reason": "\\u0000"}',
                               "/reason", "U+0000 (NUL)"),
    "body_not_utf8": ("POST", "/workflow/events", b'{"eventName": "\xff"}', "",
                      "JSON text must be UTF-8"),
    "query_with_nul": ("GET", "/workflow/events?correlationKey=%00", None,
                       "/query/correlationKey", "U+0000 (NUL)"),
    "ticket_filter_with_nul": ("GET", "/tickets?status=a%00", None, "/query/status",
                               "U+0000 (NUL)"),
    "path_version_zero": ("GET", "/workflow-definitions/{wf}/0", None, "/path/version",
                          "String should match pattern"),
    "path_version_of_ten_digits": ("GET", "/workflow-definitions/{wf}/1000000000", None,
                                   "/path/version", "String should match pattern"),
    "path_version_unicode_digit": ("GET", "/workflow-definitions/{wf}/%C2%B2", None,
                                   "/path/version", "String should match pattern"),
}  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "pointer", "message"), REFUSED.values(),
                         ids=REFUSED)  # fmt: skip
async def test_refused_input_is_a_422_naming_its_place_and_nothing_is_stored(
    admin: httpx.AsyncClient, pool: asyncpg.Pool, tenant_id: str,
    method: str, path: str, body: str | bytes | None, pointer: str, message: str,
) -> None:  # fmt: skip
    run = await start(admin, await publish(admin, asks_a_human()), {"key": "K"})
    tasks = (await admin.get("/human-tasks", params={"runId": run["runId"]})).json()["items"]
    ids = {"{wf}": run["workflowId"], "{run}": run["runId"], "{task}": tasks[0]["taskId"]}
    for placeholder, value in ids.items():
        path = path.replace(placeholder, value)
        body = body.replace(placeholder, value) if isinstance(body, str) else body
    before = await tenant_rows(pool, tenant_id)

    response = await admin.request(method, path, content=body, headers=JSON)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "VALIDATION_FAILED"
    [error] = problem["errors"]
    assert (error["pointer"], error["message"][: len(message)]) == (pointer, message)
    assert "\x00" not in response.text  # the pointer shows NUL escaped
    assert await tenant_rows(pool, tenant_id) == before


async def test_body_over_4_mib_is_a_413(admin: httpx.AsyncClient) -> None:
    body = EVENT % ('"' + "x" * (4 * 1024 * 1024) + '"')
    response = await admin.post("/workflow/events", content=body, headers=JSON)
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"


KEPT = {
    "integer_beyond_64_bits": {"n": 1152921504606846975000, "m": -(2**70)},
    "integer_of_4300_digits": {"n": int("9" * 4300)},
    "surrogate_pair_and_astral_text": {"t": "\U0001f600 caf\u00e9 \u202e"},
    "escaped_backslash_u0000_is_text": {"t": "\\u0000"},
    # the body is the document: its object, "payload" and "a" are 3 of the 64 levels
    "body_nested_64_deep": {"a": json.loads("[" * 62 + "1" + "]" * 62)},
    "string_of_1_mib": {"t": "y" * (1024 * 1024)},
}


@pytest.mark.parametrize("payload", KEPT.values(), ids=KEPT)
async def test_kept_input_is_read_back_exactly(
    admin: httpx.AsyncClient, payload: dict[str, object]
) -> None:
    sent = await admin.post(
        "/workflow/events",
        json={"eventName": "KEPT", "correlationKey": "kept", "payload": payload},
    )
    assert sent.status_code == 201, sent.text[:300]
    listed = (await admin.get("/workflow/events", params={"eventName": "KEPT"})).json()
    [event] = [e for e in listed["items"] if e["eventId"] == sent.json()["eventId"]]
    assert event["payload"] == payload
