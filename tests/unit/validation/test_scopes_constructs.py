"""analyse_types, one construct at a time: what vars holds before each step."""

from __future__ import annotations

from typing import Any

from validation_support import UI, assign, call, definition, email_registry, expr
from workflow_core.typeflow import ERROR_SHAPE, NULL, Presence, Shape, describe, read
from workflow_core.validation import analyse_types, validate_definition

REGISTRY = email_registry()
TICKET_OUTPUT = {
    "type": "object",
    "required": ["ticketId"],
    "properties": {"ticketId": {"type": "string"}, "number": {"type": "integer"}},
    "additionalProperties": False,
}


def _scope(document: dict[str, Any], path: str) -> Any:
    scope = analyse_types(document, REGISTRY).scope(path)
    assert scope is not None
    return scope


def _var(document: dict[str, Any], path: str, *names: str) -> tuple[Shape, Presence | None]:
    """The shape of vars.<names> before the step at ``path`` and the first name's presence."""
    env = _scope(document, path).env
    assert env.vars.obj is not None
    field = env.vars.obj.get(names[0])
    if field is None:
        return Shape(), None
    found = read(env.vars, list(names))
    assert not hasattr(found, "kind"), found
    return found.shape, field.presence  # type: ignore[union-attr]


def _last(*steps: dict[str, Any]) -> dict[str, Any]:
    return definition(*steps, {"id": "end", "type": "state.set", "config": {"state": "E"}})


def test_assign_types_vars_from_its_expressions() -> None:
    document = _last(
        assign("a", vars__n=expr("1 + 2"), vars__s=expr("payload.emailData.subject & '!'")),
        assign("b", vars__copy=expr("vars.s"), vars__deep__x=expr("true")),
    )
    assert describe(_var(document, "root.steps[2]", "n")[0]) == "number"
    assert describe(_var(document, "root.steps[2]", "copy")[0]) == "string"
    assert describe(_var(document, "root.steps[2]", "deep", "x")[0]) == "boolean"
    assert _var(document, "root.steps[0]", "n")[1] is None  # nothing before the write


def test_assign_reads_the_scope_before_any_of_its_writes() -> None:
    document = _last(assign("a", vars__x=expr("1"), vars__y=expr("vars.x")))
    assert _var(document, "root.steps[1]", "y")[0].unknown  # vars.x did not exist yet
    report = validate_definition(document, registry=REGISTRY)
    assert [e.code.value for e in report.errors] == ["READ_BEFORE_WRITE"]


def test_save_as_takes_the_action_output_schema() -> None:
    registry = email_registry()
    document = _last(call("a", "find_contact_by_email", {"email": "a@b.co"}, saveAs="vars.c"))
    env = analyse_types(document, registry).scope("root.steps[1]")
    assert env is not None
    assert describe(env.env.vars) == "object"
    # the test registry's outputs are open objects: nothing below is claimed
    assert read(env.env.vars, ["c", "anything"]).shape.unknown  # type: ignore[union-attr]


def test_save_as_of_a_known_output_is_typed_field_by_field() -> None:
    from workflow_core.registry import ActionSpec, create_registry

    registry = create_registry()
    registry.actions.register(
        ActionSpec("make_ticket", 1, {"type": "object"}, TICKET_OUTPUT, True, ui=UI)
    )
    document = _last(
        {"id": "a", "type": "action.call",
         "config": {"actionId": "make_ticket", "version": 1, "args": {}, "saveAs": "vars.t"}},
    )  # fmt: skip
    scope = analyse_types(document, registry.freeze()).scope("root.steps[1]")
    assert scope is not None
    assert describe(read(scope.env.vars, ["t", "number"]).shape) == "integer"  # type: ignore[union-attr]
    assert read(scope.env.vars, ["t", "nope"]).kind == "closed"  # type: ignore[union-attr]


def test_if_branches_merge_into_maybe_present() -> None:
    document = _last(
        {"id": "i", "type": "control.if", "condition": expr("payload.providerId = 'x'"),
         "then": [assign("t", vars__both=expr("1"), vars__one=expr("'a'"))],
         "else": [assign("e", vars__both=expr("'s'"))]},
    )  # fmt: skip
    both, presence = _var(document, "root.steps[1]", "both")
    assert (describe(both), presence) == ("integer or string", Presence.ALWAYS)
    assert _var(document, "root.steps[1]", "one")[1] is Presence.SOME_PATHS


def test_if_condition_narrows_its_then_branch() -> None:
    document = _last(
        {"id": "i", "type": "control.if", "condition": expr("payload.providerId"),
         "then": [assign("t", vars__x=expr("1"))]},
        {"id": "j", "type": "control.if", "condition": expr("$exists(vars.x)"),
         "then": [assign("u", vars__y=expr("vars.x + 1"))],
         "else": [assign("v", vars__z=expr("2"))]},
    )  # fmt: skip
    assert _var(document, "root.steps[1]", "x")[1] is Presence.SOME_PATHS
    assert _var(document, "root.steps[1].then.steps[0]", "x")[1] is Presence.ALWAYS
    assert _var(document, "root.steps[1].else.steps[0]", "x")[1] is Presence.SOME_PATHS


def test_for_each_types_the_item_and_index_and_restores_them() -> None:
    document = _last(
        {"id": "l", "type": "control.forEach", "items": expr("payload.emailData.attachments"),
         "itemVar": "att", "onItemError": "continue",
         "body": [assign("b", vars__last=expr("vars.att.size"))]},
    )  # fmt: skip
    body = "root.steps[0].body.steps[0]"
    assert describe(_var(document, body, "att", "size")[0]) == "integer"
    assert describe(_var(document, body, "attIndex")[0]) == "integer"
    assert _var(document, "root.steps[1]", "att")[1] is None  # restored: not there before
    assert _var(document, "root.steps[1]", "last")[1] is Presence.SOME_PATHS  # zero items
    assert _var(document, "root.steps[1]", "attErrors")[1] is Presence.SOME_PATHS


def test_for_each_body_sees_what_earlier_iterations_wrote() -> None:
    document = _last(
        assign("a", vars__n=expr("0")),
        {"id": "l", "type": "control.forEach", "items": expr("[1, 2]"), "itemVar": "i",
         "body": [assign("b", vars__n=expr("'text'")),
                  assign("c", vars__grow=expr("[vars.grow]"))]},
    )  # fmt: skip
    assert describe(_var(document, "root.steps[1].body.steps[0]", "n")[0]) == "integer or string"
    assert _var(document, "root.steps[1].body.steps[1]", "grow")[0] is not None  # settles


def test_try_catch_types_error_and_the_captured_var() -> None:
    document = _last(
        {"id": "t", "type": "control.tryCatch", "captureErrorAs": "oops",
         "try": [assign("a", vars__x=expr("1")), call("c", "find_contact_by_email", {})],
         "catch": [assign("h", vars__m=expr("error.message"))]},
    )  # fmt: skip
    catch = _scope(document, "root.steps[0].catch.steps[0]").env
    assert catch.error == ERROR_SHAPE
    assert read(catch.vars, ["oops", "message"]).shape == read(ERROR_SHAPE, ["message"]).shape  # type: ignore[union-attr]
    assert catch.vars.obj is not None
    x = catch.vars.obj.get("x")
    assert x is not None
    assert x.presence is Presence.SOME_PATHS  # the first step of try may have failed
    after = _scope(document, "root.steps[1]").env
    assert after.error == NULL  # cleared by the completed catch, never set on success


def test_call_workflow_output_mapping_reads_the_child_envelope() -> None:
    document = _last(
        {"id": "c", "type": "control.callWorkflow", "workflowId": "child",
         "inputMapping": {"id": expr("payload.emailData.id")},
         "outputMapping": {"vars.result": expr("vars.anything"),
                           "vars.count": expr("$count(payload.list)")}},
    )  # fmt: skip
    assert _var(document, "root.steps[1]", "result")[0].unknown
    assert describe(_var(document, "root.steps[1]", "count")[0]) == "number"


def test_return_ends_the_path() -> None:
    document = _last(
        {"id": "i", "type": "control.if", "condition": expr("payload.providerId"),
         "then": [assign("t", vars__early=expr("1")), {"id": "r", "type": "control.return"}],
         "else": [assign("e", vars__late=expr("1"))]},
    )  # fmt: skip
    assert _var(document, "root.steps[1]", "early")[1] is None  # that path never gets here
    assert _var(document, "root.steps[1]", "late")[1] is Presence.ALWAYS


def test_steps_after_a_return_are_analysed_but_unreachable() -> None:
    document = _last({"id": "r", "type": "control.return"})
    assert _scope(document, "root.steps[1]").reachable is False


def test_on_error_continue_may_write_last_error_instead_of_save_as() -> None:
    step = call("c", "find_contact_by_email", {"email": "a@b.co"}, saveAs="vars.c")
    step["onError"] = {"policy": "continue"}
    document = _last(step)
    assert _var(document, "root.steps[1]", "c")[1] is Presence.SOME_PATHS
    assert _var(document, "root.steps[1]", "lastError")[1] is Presence.SOME_PATHS


def test_event_wait_assign_reads_the_event() -> None:
    document = _last(
        {"id": "w", "type": "event.wait", "config": {
            "eventName": "E", "correlationKey": expr("payload.emailData.id"),
            "assign": {"vars.by": expr("event.correlationKey")}}},
    )  # fmt: skip
    assert describe(_var(document, "root.steps[1]", "by")[0]) == "string"


def test_human_task_save_as_takes_the_form_schema() -> None:
    form = {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}}
    document = _last(
        {"id": "h", "type": "human.task", "config": {
            "taskType": "t", "title": "T", "formSchema": form, "saveAs": "vars.answer"}},
    )  # fmt: skip
    assert describe(_var(document, "root.steps[1]", "answer", "ok")[0]) == "boolean"


def test_state_set_writes_meta_state() -> None:
    scope = _scope(_last(), "root.steps[0]")
    assert describe(read(scope.env.meta, ["state"]).shape) == "null or string"  # type: ignore[union-attr]
