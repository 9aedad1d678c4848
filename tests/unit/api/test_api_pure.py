"""Pure pieces of the API: role nesting, problem pointers, redaction of run data."""

from __future__ import annotations

import pytest
from sluice_api.redaction import RunRedactor
from sluice_api.roles import Role, allows
from sluice_http import validation_items

ORDER = ["workflow.view", "workflow.manage", "workflow.publish", "workflow.admin"]


@pytest.mark.parametrize("held", ORDER)
@pytest.mark.parametrize("needed", list(Role))
def test_roles_allow_exactly_their_rank_and_below(held: str, needed: Role) -> None:
    assert allows(held, needed) == (ORDER.index(held) >= ORDER.index(needed.value))


def test_unknown_role_allows_nothing() -> None:
    assert not any(allows("root", role) for role in Role)


def test_validation_pointers_name_body_fields_and_parameters() -> None:
    errors = [
        {"loc": ("body", "payload", "a/b", 0), "msg": "bad"},
        {"loc": ("query", "limit"), "msg": "too small"},
        {"loc": ("body",), "msg": "not an object"},
    ]
    assert [(i.pointer, i.message) for i in validation_items(errors)] == [
        ("/payload/a~1b/0", "bad"), ("/query/limit", "too small"), ("", "not an object"),
    ]  # fmt: skip


def test_run_redactor_masks_the_runs_secrets_everywhere() -> None:
    state = {"envelope": {"payload": {"pin": "4711-2288", "card": {"number": "4111"}},
                          "meta": {"redactions": ["/payload/pin"]}}}  # fmt: skip
    schema = {"type": "object", "properties": {"card": {"type": "object", "properties": {
        "number": {"type": "string", "x-sensitive": True}}}}}  # fmt: skip
    redact = RunRedactor(state, schema)
    shown = redact({"message": "pin 4711-2288 refused", "input": {"number": "4111"}})
    assert shown == {"message": "pin *** refused", "input": {"number": "***"}}
    assert redact(None) is None
