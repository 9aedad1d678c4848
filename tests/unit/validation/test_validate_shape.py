"""INVALID_DEFINITION: shape errors located at the root or the step, one step at a time."""

from __future__ import annotations

from validation_support import definition, email_registry, expr, found
from workflow_core.validation import validate_definition


def _messages(document: object) -> list[tuple[str, str]]:
    report = validate_definition(document, registry=email_registry())  # type: ignore[arg-type]
    return [(e.step_path, e.message) for e in report.errors]


def test_document_that_is_not_an_object_is_one_root_error() -> None:
    assert _messages([1, 2]) == [("root", "a definition is a JSON object")]


def test_root_fields_are_checked_and_version_is_ignored() -> None:
    messages = _messages({"steps": "nope", "version": 3})
    assert messages == [
        ("root", "field 'name' is required"),
        ("root", "field 'steps': Input should be a valid list"),
    ]


def test_missing_and_unknown_fields_read_like_prose() -> None:
    document = definition(
        {"id": "loop", "type": "control.forEach", "items": expr("[]"), "body": []},
        {"id": "s", "type": "state.set", "confg": {"state": "X"}},
    )
    assert _messages(document) == [
        ("root.steps[0]", "field 'itemVar' is required"),
        ("root.steps[1]", "unknown field 'confg' (did you mean 'config'?)"),
    ]


def test_nested_shape_errors_are_located_in_their_branch() -> None:
    document = definition(
        {
            "id": "t",
            "type": "control.tryCatch",
            "try": [
                {
                    "id": "i",
                    "type": "control.if",
                    "condition": expr("true"),
                    "then": [
                        {"id": "ok", "type": "control.return"},
                        {"id": "bad", "type": "control.return", "extra": 1},
                    ],
                }
            ],
            "catch": [
                {
                    "id": "c1",
                    "type": "control.forEach",
                    "items": expr("[]"),
                    "itemVar": "1x",
                    "body": [],
                }
            ],
        }
    )
    report = validate_definition(document, registry=email_registry())
    assert [(e.step_path, e.step_id, e.code.value) for e in report.errors] == [
        ("root.steps[0].try.steps[0].then.steps[1]", "bad", "INVALID_DEFINITION"),
        ("root.steps[0].catch.steps[0]", "c1", "INVALID_DEFINITION"),
    ]
    assert "itemVar" in report.errors[1].message


def test_broken_block_still_has_its_nested_steps_checked() -> None:
    document = definition(
        {"id": "i", "type": "control.if", "then": [{"id": "x", "type": "nope.node"}]},
    )
    assert found(validate_definition(document, registry=email_registry())) == [
        ("error", "INVALID_DEFINITION", "root.steps[0]"),
        ("error", "UNKNOWN_NODE_TYPE", "root.steps[0].then.steps[0]"),
    ]


def test_step_that_is_not_an_object_is_located() -> None:
    document = definition({"id": "a", "type": "control.return"}, "oops")
    assert _messages(document) == [("root.steps[1]", "a step is a JSON object")]


def test_branch_that_is_not_a_list_is_a_shape_error() -> None:
    document = definition({"id": "i", "type": "control.if", "condition": expr("1"), "then": {}})
    assert _messages(document) == [("root.steps[0]", "field 'then': Input should be a valid list")]


def test_retry_policy_errors_name_the_nested_field() -> None:
    step = {
        "id": "s",
        "type": "state.set",
        "config": {"state": "X"},
        "retry": {"maxAttempts": 0, "backoffMs": 10, "maxDelayMs": 1},
    }
    messages = _messages(definition(step))
    assert (
        "root.steps[0]",
        "field 'retry.maxAttempts': Input should be greater than or equal to 1",
    ) in messages
