"""Publish findings of the type analysis, one code at a time, located by step path and pointer."""

from __future__ import annotations

from typing import Any

from validation_support import UI, assign, call, definition, email_registry, expr, found
from workflow_core.registry import ActionSpec, create_registry
from workflow_core.validation import validate_definition

TICKET = {
    "type": "object",
    "required": ["ticketId", "found"],
    "properties": {
        "ticketId": {"type": "string"},
        "found": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": False,
}
TAKES = {
    "type": "object",
    "properties": {"ticketId": {"type": "string"}, "attachment": {"type": "object"}},
}


def _registry() -> Any:
    registry = create_registry()
    registry.actions.register(ActionSpec("get_ticket", 1, {"type": "object"}, TICKET, False, UI))
    registry.actions.register(ActionSpec("use_ticket", 1, TAKES, {}, True, UI))
    return registry.freeze()


REGISTRY = _registry()


def _get(step_id: str = "get", save_as: str = "vars.ticket") -> dict[str, Any]:
    return call(step_id, "get_ticket", {}, saveAs=save_as)


def _report(*steps: dict[str, Any], **root: Any) -> Any:
    return validate_definition(definition(*steps, **root), registry=REGISTRY)


def _located(report: Any) -> list[tuple[str, str, str, str | None]]:
    return [(e.severity, e.code.value, e.step_path, e.pointer) for e in report.errors]


def test_unknown_field_of_an_action_output_with_did_you_mean() -> None:
    report = _report(_get(), assign("use", vars__id=expr("vars.ticket.tiketId")))
    assert _located(report) == [
        ("warning", "UNKNOWN_FIELD", "root.steps[1]", "/steps/1/config/assign/vars.id")
    ]
    assert report.errors[0].message == (
        "vars.ticket.tiketId: vars.ticket (the output of get_ticket v1) has no field "
        "'tiketId' (did you mean 'ticketId'?)"
    )
    assert report.ok


def test_unknown_field_of_meta_error_and_the_context() -> None:
    report = _report(assign("a", vars__a=expr("meta.stat & error.message & paylod.x")))
    messages = [e.message for e in report.errors]
    assert [e.code.value for e in report.errors] == ["UNKNOWN_FIELD"] * 3
    assert messages == [
        "error.message: error holds null here, so it has no field 'message' "
        "(error is only set inside a catch)",
        "meta.stat: meta has no field 'stat' (did you mean 'state'?)",
        "paylod.x: 'paylod' is not in the expression context (payload, vars, meta, error) "
        "(did you mean 'payload'?)",
    ]


def test_read_before_write_names_where_it_is_written() -> None:
    report = _report(assign("use", vars__id=expr("vars.ticket.ticketId")), _get())
    assert _located(report) == [
        ("warning", "READ_BEFORE_WRITE", "root.steps[0]", "/steps/0/config/assign/vars.id")
    ]
    assert "written at root.steps[1]" in report.errors[0].message


def test_a_read_on_some_paths_only_is_maybe_undefined() -> None:
    branch = {
        "id": "i", "type": "control.if", "condition": expr("payload.providerId = 'p'"),
        "then": [_get()],
    }  # fmt: skip
    report = _report(branch, call("use", "use_ticket", {"ticketId": expr("vars.ticket.ticketId")}))
    unproven = _report(
        branch, assign("u", vars__d=expr("payload.providerId = 'q' ? vars.ticket.ticketId : ''"))
    )
    assert [e.code.value for e in unproven.errors] == ["MAYBE_UNDEFINED"]
    assert _located(report) == [
        ("warning", "MAYBE_UNDEFINED", "root.steps[1]", "/steps/1/config/args/ticketId")
    ]
    assert "vars.ticket is written on some paths to this step only" in report.errors[0].message
    assert "(by root.steps[0].then.steps[0])" in report.errors[0].message


def test_guarded_and_narrowed_reads_are_not_maybe_undefined() -> None:
    branch = {
        "id": "i", "type": "control.if", "condition": expr("payload.providerId = 'p'"),
        "then": [_get()],
    }  # fmt: skip
    guarded = assign(
        "g",
        vars__a=expr("coalesce(vars.ticket.ticketId, 'none')"),
        vars__b=expr("vars.ticket.found = true ? 1 : 2"),
        vars__c=expr("$exists(vars.ticket) and $count(vars.ticket.tags) > 0"),
        vars__d=expr("vars.ticket ? vars.ticket.ticketId : 'none'"),
        vars__e=expr("$not($exists(vars.ticket)) ? 'none' : vars.ticket.ticketId"),
    )
    narrowed = {
        "id": "n", "type": "control.if", "condition": expr("vars.ticket.found"),
        "then": [call("use", "use_ticket", {"ticketId": expr("vars.ticket.ticketId")})],
    }  # fmt: skip
    assert _report(branch, guarded, narrowed).errors == []


def test_comparison_of_kinds_that_never_match_is_a_mismatch() -> None:
    check = {
        "id": "i", "type": "control.if", "condition": expr("vars.ticket.found = 'yes'"),
        "then": [],
    }  # fmt: skip
    report = _report(_get(), check)
    assert _located(report) == [("warning", "TYPE_MISMATCH", "root.steps[1]", "/steps/1/condition")]
    assert report.errors[0].message == (
        "vars.ticket.found = 'yes' compares boolean with string; it is always false"
    )


def test_an_argument_of_the_wrong_kind_is_a_mismatch() -> None:
    use = call("use", "use_ticket", {"attachment": expr("vars.ticket.tags")})
    report = _report(_get(), use)
    assert _located(report) == [
        ("warning", "TYPE_MISMATCH", "root.steps[1]", "/steps/1/config/args/attachment")
    ]
    assert report.errors[0].message == (
        "config.args.attachment: vars.ticket.tags gives array of string, "
        "but use_ticket v1 takes object"
    )


def test_for_each_over_a_non_array_and_a_write_through_a_scalar_are_mismatches() -> None:
    loop = {
        "id": "l", "type": "control.forEach", "items": expr("vars.ticket.ticketId"),
        "itemVar": "x", "body": [],
    }  # fmt: skip
    report = _report(_get(), loop, assign("w", vars__ticket__ticketId__deep=expr("1")))
    assert _located(report) == [
        ("warning", "TYPE_MISMATCH", "root.steps[1]", "/steps/1/items"),
        (
            "warning",
            "TYPE_MISMATCH",
            "root.steps[2]",
            "/steps/2/config/assign/vars.ticket.ticketId.deep",
        ),
    ]


def test_strict_types_make_type_findings_errors() -> None:
    report = _report(_get(), assign("use", vars__id=expr("vars.ticket.tiketId")), strictTypes=True)
    assert found(report) == [("error", "UNKNOWN_FIELD", "root.steps[1]")]
    assert not report.ok


def test_unknown_stays_unknown() -> None:
    opaque = call("o", "find_contact_by_email", {"email": "a@b.co"}, saveAs="vars.any")
    report = validate_definition(
        definition(
            opaque,
            assign(
                "a",
                vars__x=expr("vars.any.whatever.deep = 5"),
                vars__y=expr("$lookup(vars.any, 'k').z"),
                vars__z=expr("vars.any[x > 1].y & payload.emailData.to.email"),
            ),
        ),
        registry=email_registry(),
    )
    assert report.errors == []


def test_comparison_with_a_value_an_enum_never_holds_is_a_mismatch() -> None:
    states = {
        "id": "i", "type": "control.if", "condition": expr("meta.state = 'DONE'"),
        "then": [],
    }  # fmt: skip
    confidence = assign("c", vars__x=expr("error.category != 'Oops'"))
    report = _report(
        {"id": "s", "type": "state.set", "config": {"state": "STARTED"}}, states, confidence
    )
    assert [(e.code.value, e.step_path, e.message) for e in report.errors] == [
        (
            "TYPE_MISMATCH",
            "root.steps[1]",
            "meta.state = 'DONE': meta.state can only be \"STARTED\" here; it is always false",
        ),
        ("UNKNOWN_FIELD", "root.steps[2]", report.errors[1].message),
    ]
