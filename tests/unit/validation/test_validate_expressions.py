"""INVALID_EXPR and DISALLOWED_FUNCTION for every Expr, wherever it sits."""

from __future__ import annotations

from typing import Any

from validation_support import call, definition, email_registry, expr, found
from workflow_core.validation import validate_definition


def _report(*steps: dict[str, Any]) -> Any:
    return validate_definition(definition(*steps), registry=email_registry())


def test_syntax_error_names_the_field_and_position() -> None:
    report = _report({"id": "i", "type": "control.if", "condition": expr("payload.("), "then": []})
    assert found(report) == [("error", "INVALID_EXPR", "root.steps[0]")]
    assert report.errors[0].message == (
        "condition: S0203: Expected ) before end of expression at position 9"
    )


def test_disallowed_function_is_reported_with_position() -> None:
    report = _report(
        {
            "id": "l",
            "type": "control.forEach",
            "items": expr("$eval('[1]')"),
            "itemVar": "x",
            "body": [],
        }
    )
    assert found(report) == [("error", "DISALLOWED_FUNCTION", "root.steps[0]")]
    assert report.errors[0].message == "items: $eval is not an allowed function at position 5"


def test_every_expr_of_a_step_is_checked_at_any_depth() -> None:
    args = {
        "ticketId": expr("$now()"),
        "content": expr("'x'"),
        "attachment": {"meta": [expr("function($x){$x}"), {"deep": expr("1 +")}]},
    }
    step = call("a", "process_email_attachment", args, idempotencyKey=expr("$random()"))
    report = _report(step)
    assert [(e.code.value, e.message.split(":")[0]) for e in report.errors] == [
        ("DISALLOWED_FUNCTION", "config.args.ticketId"),
        ("DISALLOWED_FUNCTION", "config.args.attachment.meta[0]"),
        ("INVALID_EXPR", "config.args.attachment.meta[1].deep"),
        ("DISALLOWED_FUNCTION", "config.idempotencyKey"),
    ]


def test_mapping_exprs_are_checked() -> None:
    step = {
        "id": "c",
        "type": "control.callWorkflow",
        "workflowId": "child",
        "inputMapping": {"a": expr("$millis()")},
        "outputMapping": {"vars.b": expr("((")},
    }
    assert [e.code.value for e in _report(step).errors] == ["DISALLOWED_FUNCTION", "INVALID_EXPR"]


def test_assign_exprs_are_labelled_by_their_target() -> None:
    report = _report(
        {"id": "a", "type": "transform.assign", "config": {"assign": {"vars.x": expr("")}}}
    )
    assert report.errors[0].code == "INVALID_EXPR"
    assert report.errors[0].message.startswith("config.assign['vars.x']: ")


def test_malformed_expr_object_in_config_is_invalid_expr() -> None:
    step = call("a", "find_contact_by_email", {"email": {"$expr": 42}})
    report = _report(step)
    assert (
        "INVALID_EXPR",
        'config.args.email: an expression is exactly {"$expr": "<JSONata source>"}',
    ) in [(e.code.value, e.message) for e in report.errors]


def test_valid_helpers_and_double_equals_pass() -> None:
    step = {
        "id": "i",
        "type": "control.if",
        "condition": expr("len(toString(payload.emailData.subject)) == 0 and nowIso() != ''"),
        "then": [],
    }
    assert _report(step).errors == []
