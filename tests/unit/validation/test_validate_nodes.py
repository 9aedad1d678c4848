"""Node steps: node types, config schemas with Exprs, actions, forms, policies, ids."""

from __future__ import annotations

from typing import Any

import pytest
from validation_support import call, definition, email_registry, expr, found
from workflow_core.validation import validate_definition


def _report(*steps: dict[str, Any], **root: Any) -> Any:
    return validate_definition(definition(*steps, **root), registry=email_registry())


def test_unknown_node_type_suggests_the_closest() -> None:
    report = _report({"id": "a", "type": "transform.asign", "config": {}})
    assert found(report) == [("error", "UNKNOWN_NODE_TYPE", "root.steps[0]")]
    assert report.errors[0].message == (
        "unknown node type 'transform.asign' (did you mean 'transform.assign'?)"
    )


def test_every_config_violation_is_reported_with_its_pointer() -> None:
    step = call("a", "find_contact_by_email", {}, saveAs="", extra=1)
    step["config"]["version"] = 0
    report = _report(step)
    messages = [e.message for e in report.errors if e.code == "INVALID_CONFIG"]
    assert messages == [
        "config: unknown field 'extra'",
        "config/saveAs: '' should be non-empty",
        "config/version: 0 is less than the minimum of 1",
    ]


def test_expr_satisfies_any_property_schema() -> None:
    step = {
        "id": "w",
        "type": "event.wait",
        "config": {
            "eventName": "APPROVED",
            "correlationKey": expr("payload.emailData.id"),
            "timeoutMs": expr("1000 * 60"),
            "assign": {"vars.approval": expr("event.payload")},
        },
    }
    assert _report(step).errors == []


def test_expr_required_field_given_a_literal_is_invalid_config() -> None:
    step = {"id": "w", "type": "event.wait", "config": {"eventName": "E", "correlationKey": "k"}}
    report = _report(step)
    assert [e.message for e in report.errors] == [
        'config/correlationKey: must be an expression {"$expr": "<JSONata source>"}'
    ]


def test_structural_fields_must_be_literals() -> None:
    step = call("a", "find_contact_by_email", {"email": "a@b.co"})
    step["config"]["actionId"] = expr("'find_contact_by_email'")
    step["config"]["saveAs"] = expr("'vars.x'")
    report = _report(step)
    assert [e.message for e in report.errors] == [
        "config.actionId must be a literal value, not an expression",
        "config.saveAs must be a literal value, not an expression",
    ]


def test_unknown_action_suggests_a_close_name() -> None:
    report = _report(call("a", "find_contact_by_emial", {"email": "x@y.z"}))
    assert found(report) == [("error", "UNKNOWN_ACTION", "root.steps[0]")]
    assert report.errors[0].message == (
        "action 'find_contact_by_emial' is not registered (did you mean 'find_contact_by_email'?)"
    )


def test_unknown_action_version_lists_registered_versions() -> None:
    step = call("a", "find_contact_by_email", {"email": "x@y.z"})
    step["config"]["version"] = 3
    assert _report(step).errors[0].message == (
        "action 'find_contact_by_email' has no version 3 (registered: 1, 2)"
    )


def test_literal_args_are_checked_against_the_input_schema() -> None:
    args = {"ticketId": 5, "content": expr("vars.x"), "authorType": "robot"}
    report = _report(
        {"id": "b", "type": "transform.assign", "config": {"assign": {"vars.x": "1"}}},
        call("a", "create_comment_from_email", args),
    )
    assert [(e.code.value, e.message) for e in report.errors] == [
        ("INVALID_CONFIG", "config/args/authorType: 'robot' is not one of ['contact', 'internal']"),
        ("INVALID_CONFIG", "config/args/ticketId: 5 is not of type 'string'"),
    ]


def test_args_made_of_exprs_only_check_required_keys() -> None:
    report = _report(call("a", "create_comment_from_email", {"ticketId": expr("'t'")}))
    assert [e.message for e in report.errors] == ["config/args: 'content' is a required property"]


def test_args_given_as_one_expr_are_not_checked_at_publish() -> None:
    assert _report(call("a", "find_contact_by_email", expr("{'email': 'a@b.co'}"))).errors == []


def test_both_on_error_policies_warn_that_the_step_level_wins() -> None:
    step = call("a", "find_contact_by_email", {"email": "a@b.co"}, onError={"policy": "fail"})
    step["onError"] = {"policy": "continue"}
    report = _report(step)
    assert found(report) == [("warning", "ON_ERROR_OVERRIDDEN", "root.steps[0]")]
    assert report.ok


def test_unknown_payload_schema_ref_is_reported_at_root() -> None:
    report = _report(payloadSchemaRef="payload.EmailWorkflowPayload.v2")
    assert found(report) == [("error", "UNKNOWN_SCHEMA_REF", "root")]
    assert "did you mean 'payload.EmailWorkflowPayload.v1'?" in report.errors[0].message


def test_unknown_form_schema_ref_and_invalid_inline_form_schema() -> None:
    task = {
        "id": "t",
        "type": "human.task",
        "config": {
            "taskType": "review",
            "title": expr("'Review'"),
            "formSchemaRef": "payload.Missing.v1",
        },
    }
    inline = {
        "id": "u",
        "type": "human.task",
        "config": {"taskType": "review", "title": "Review", "formSchema": {"type": "nonsense"}},
    }
    report = _report(task, inline)
    assert found(report) == [
        ("error", "UNKNOWN_SCHEMA_REF", "root.steps[0]"),
        ("error", "INVALID_CONFIG", "root.steps[1]"),
    ]


def test_form_schema_and_ref_together_break_one_of() -> None:
    task = {
        "id": "t",
        "type": "human.task",
        "config": {
            "taskType": "r",
            "title": "R",
            "formSchema": {},
            "formSchemaRef": "payload.EmailWorkflowPayload.v1",
        },
    }
    assert [e.message for e in _report(task).errors] == [
        "config: matches more than one alternative of oneOf; exactly one must match"
    ]


def test_every_duplicate_step_id_is_reported_across_the_tree() -> None:
    report = _report(
        {"id": "x", "type": "control.return"},
        {
            "id": "i",
            "type": "control.if",
            "condition": expr("true"),
            "then": [{"id": "x", "type": "control.return"}],
            "else": [{"id": "x", "type": "control.return"}, {"id": "i", "type": "control.return"}],
        },
    )
    assert found(report) == [
        ("error", "DUPLICATE_STEP_ID", "root.steps[1].then.steps[0]"),
        ("error", "DUPLICATE_STEP_ID", "root.steps[1].else.steps[0]"),
        ("error", "DUPLICATE_STEP_ID", "root.steps[1].else.steps[1]"),
    ]
    assert report.errors[2].message == "step id 'i' is already used at root.steps[1]"


def _loop(**fields: Any) -> dict[str, Any]:
    return {
        "id": "l",
        "type": "control.forEach",
        "items": expr("payload.emailData.to"),
        "itemVar": "r",
        "body": [],
        **fields,
    }


def test_for_each_parallel_up_to_one_hundred_is_clean() -> None:
    report = _report(_loop(concurrency=100, toleratedFailureCount=2))
    assert found(report) == []
    assert report.ok


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"concurrency": 101}, "concurrency"),
        ({"concurrency": 0}, "concurrency"),
        ({"toleratedFailureCount": -1}, "toleratedFailureCount"),
        ({"toleratedFailurePercentage": 100.5}, "toleratedFailurePercentage"),
    ],
)
def test_for_each_bounds_are_located_errors(fields: dict[str, Any], fragment: str) -> None:
    report = _report(_loop(**fields))
    assert [(e.code, e.step_path) for e in report.errors] == [
        ("INVALID_DEFINITION", "root.steps[0]")
    ]
    assert fragment in report.errors[0].message
    assert not report.ok


def test_for_each_tolerance_with_continue_warns_it_has_no_effect() -> None:
    report = _report(_loop(onItemError="continue", toleratedFailurePercentage=10))
    assert found(report) == [("warning", "TOLERANCE_IGNORED", "root.steps[0]")]
    assert report.ok
