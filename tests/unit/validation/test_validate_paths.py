"""UNKNOWN_PAYLOAD_PATH, UNKNOWN_VARIABLE and INVALID_ASSIGN_PATH."""

from __future__ import annotations

from typing import Any

import pytest
from validation_support import assign, call, definition, email_registry, expr, found
from workflow_core.registry import EMAIL_PAYLOAD_REF, EMAIL_PAYLOAD_SCHEMA
from workflow_core.validation import parse_target, undeclared_reason, validate_definition


def _report(*steps: dict[str, Any], **root: Any) -> Any:
    return validate_definition(definition(*steps, **root), registry=email_registry())


def _warnings(*steps: dict[str, Any]) -> list[str]:
    return [e.message for e in _report(*steps).errors if e.severity == "warning"]


def test_misspelled_payload_field_is_caught_with_a_suggestion() -> None:
    report = _report(assign("a", vars__subject=expr("payload.emialData.subject")))
    assert found(report) == [("warning", "UNKNOWN_PAYLOAD_PATH", "root.steps[0]")]
    assert report.errors[0].message == (
        "payload.emialData.subject: 'emialData' is not declared in "
        "payload.EmailWorkflowPayload.v1 (did you mean 'emailData'?)"
    )
    assert report.ok


@pytest.mark.parametrize(
    "source",
    [
        "payload.emailData.to.email",  # JSONata maps over the array
        "payload.emailData.to[0].email",
        "payload.emailData.attachments[size > 10].contentType",
        "$count(payload.emailData.references)",
        "payload.emailData.body.html ? payload.emailData.body.html : payload.emailData.body.text",
        "payload.tenantId",
        "payload.emailData.*.foo",  # past a wildcard nothing is claimed
    ],
)
def test_declared_payload_paths_pass(source: str) -> None:
    assert _warnings(assign("a", vars__x=expr(source))) == []


def test_nested_misspelling_names_where_it_is_missing() -> None:
    assert _warnings(assign("a", vars__x=expr("payload.emailData.to.emial"))) == [
        "payload.emailData.to.emial: 'emial' is not declared in payload.EmailWorkflowPayload.v1 "
        "under payload.emailData.to (did you mean 'email'?)"
    ]


def test_field_of_a_scalar_is_reported() -> None:
    assert _warnings(assign("a", vars__x=expr("payload.emailData.subject.text"))) == [
        "payload.emailData.subject.text: payload.emailData.subject holds string values, "
        "so it has no field 'text'"
    ]


def test_payload_write_targets_are_checked_too() -> None:
    report = _report(assign("a", payload__emailData__subjet=expr("'x'")))
    assert report.errors[0].message == (
        "config.assign['payload.emailData.subjet'] writes payload.emailData.subjet: 'subjet' is "
        "not declared in payload.EmailWorkflowPayload.v1 under payload.emailData "
        "(did you mean 'subject'?)"
    )


def test_output_mapping_reads_the_child_envelope_and_is_not_checked() -> None:
    step = {
        "id": "c",
        "type": "control.callWorkflow",
        "workflowId": "child",
        "outputMapping": {"vars.result": expr("payload.whatever & vars.childOnly")},
    }
    assert _report(step).errors == []


def test_no_payload_schema_means_no_payload_warnings() -> None:
    document = definition(assign("a", vars__x=expr("payload.anything")))
    del document["payloadSchemaRef"]
    assert validate_definition(document, registry=email_registry()).errors == []


def test_reads_of_vars_nobody_writes_warn_with_a_suggestion() -> None:
    report = _report(
        assign("a", vars__contact=expr("1")),
        assign("b", vars__y=expr("vars.contcat.id")),
    )
    assert found(report) == [("warning", "UNKNOWN_VARIABLE", "root.steps[1]")]
    assert report.errors[0].message == (
        "vars.contcat.id: vars.contcat is never written by any step (did you mean 'contact'?)"
    )


def test_implicitly_written_vars_are_known() -> None:
    loop = {
        "id": "l",
        "type": "control.forEach",
        "items": expr("[1]"),
        "itemVar": "n",
        "onItemError": "continue",
        "body": [assign("b", vars__seen=expr("vars.n + vars.nIndex + $count(vars.nErrors)"))],
    }
    guarded = {
        "id": "t",
        "type": "control.tryCatch",
        "captureErrorAs": "oops",
        "try": [assign("e", vars__x=expr("1"))],
        "catch": [
            assign("c", vars__msg=expr("vars.oops.message & coalesce(vars.lastError.name, '')"))
        ],
    }
    tolerant = call("d", "find_contact_by_email", {"email": "a@b.co"}, saveAs="vars.found")
    tolerant["onError"] = {"policy": "continue"}
    assert _report(tolerant, loop, guarded).errors == []


def test_a_read_before_the_write_is_reported_with_the_writer() -> None:
    report = _report(assign("a", vars__x=expr("vars.later")), assign("b", vars__later=expr("1")))
    assert found(report) == [("warning", "READ_BEFORE_WRITE", "root.steps[0]")]
    assert report.errors[0].message == (
        "vars.later: vars.later is read before any step writes it (written at root.steps[1])"
    )
    assert report.errors[0].pointer == "/steps/0/config/assign/vars.x"


def test_event_outside_an_event_wait_warns() -> None:
    assert _warnings(assign("a", vars__x=expr("event.payload"))) == [
        "event.payload: 'event' only exists in an event.wait's assign expressions"
    ]


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("vars", "must name a field under 'vars', not replace all of it"),
        ("run.id", "'run' is read-only (it describes the run itself)"),
        ("error.message", "'error' is set by failures and cleared by catch; it cannot be written"),
        ("/other/x", "must start with payload, vars or meta, not 'other'"),
        ("vars..x", "a dot path has no empty segments"),
        ("vars.items[0]", "dot-path segments cannot hold brackets, quotes or spaces"),
        ("/vars/a~2", "'~' in a JSON pointer must be escaped as ~0 or ~1"),
        ("/vars/-/x", "'-' (append) can only be the last segment"),
    ],
)
def test_invalid_write_paths_explain_why(path: str, problem: str) -> None:
    assert parse_target(path)[1] == problem
    report = _report(assign("a", **{path.replace(".", "__"): expr("1")}))
    assert [e.code.value for e in report.errors] == ["INVALID_ASSIGN_PATH"]
    assert report.errors[0].message.endswith(problem)


@pytest.mark.parametrize(
    "path", ["vars.x", "/vars/a~1b", "meta.state", "/vars/list/-", "payload.emailData.subject"]
)
def test_valid_write_paths_pass(path: str) -> None:
    assert parse_target(path)[1] is None


def test_redactions_can_only_grow() -> None:
    report = _report(
        {
            "id": "a",
            "type": "transform.assign",
            "config": {
                "assign": {
                    "/meta/redactions/-": expr("'/payload/secret'"),
                    "meta.redactions": expr("append(meta.redactions, '/payload/x')"),
                }
            },
        },
        {
            "id": "b",
            "type": "transform.assign",
            "config": {"assign": {"meta.redactions": expr("[]")}},
        },
        {
            "id": "c",
            "type": "transform.assign",
            "config": {"assign": {"meta.redactions.0": expr("'/x'")}},
        },
    )
    assert found(report) == [
        ("error", "INVALID_ASSIGN_PATH", "root.steps[1]"),
        ("error", "INVALID_ASSIGN_PATH", "root.steps[2]"),
    ]


def test_save_as_and_output_mapping_targets_are_checked() -> None:
    report = _report(
        call("a", "find_contact_by_email", {"email": "a@b.co"}, saveAs="error.x"),
        {
            "id": "c",
            "type": "control.callWorkflow",
            "workflowId": "w",
            "outputMapping": {"run.x": expr("1")},
        },
    )
    assert [(e.code.value, e.message.split(":")[0]) for e in report.errors] == [
        ("INVALID_ASSIGN_PATH", "config.saveAs"),
        ("INVALID_ASSIGN_PATH", "outputMapping['run.x']"),
    ]


SCHEMA: dict[str, Any] = {
    "$defs": {
        "item": {"type": "object", "properties": {"sku": {"type": "string"}}},
        "node": {
            "type": "object",
            "properties": {"child": {"$ref": "#/$defs/node"}, "label": {"type": "string"}},
        },
    },
    "type": "object",
    "properties": {
        "items": {"type": "array", "items": {"$ref": "#/$defs/item"}},
        "grid": {"type": "array", "items": {"type": "array", "items": {"$ref": "#/$defs/item"}}},
        "tree": {"$ref": "#/$defs/node"},
        "either": {"anyOf": [{"properties": {"a": {}}}, {"properties": {"b": {}}}]},
        "both": {"allOf": [{"properties": {"c": {}}}, {"properties": {"d": {}}}]},
        "tags": {"type": "object", "additionalProperties": {"type": "string"}},
        "meta": {"patternProperties": {"^x-": {"type": "object", "properties": {"v": {}}}}},
        "free": {},
        "nullable": {"type": ["object", "null"], "properties": {"n": {}}},
    },
}


@pytest.mark.parametrize(
    "path",
    [
        "payload.items.sku",
        "payload.items.0.sku",
        "payload.grid.sku",
        "payload.tree.child.child.label",
        "payload.either.a",
        "payload.either.b",
        "payload.both.c",
        "payload.both.d",
        "payload.tags.anything",
        "payload.meta.x-one.v",
        "payload.free.whatever.deep",
        "payload.nullable.n",
    ],
)
def test_schema_features_are_followed(path: str) -> None:
    assert undeclared_reason(SCHEMA, "payload.T.v1", path.split(".")) is None


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("payload.items.skus", "skus"),
        ("payload.grid.sk", "sk"),
        ("payload.tree.child.lable", "lable"),
        ("payload.either.c", "c"),
        ("payload.meta.x-one.w", "w"),
        ("payload.nope", "nope"),
    ],
)
def test_undeclared_names_are_found_through_schema_features(path: str, name: str) -> None:
    reason = undeclared_reason(SCHEMA, "payload.T.v1", path.split("."))
    assert reason is not None
    assert f"{name!r} is not declared in payload.T.v1" in reason


def test_email_schema_allows_additional_properties_yet_warns_on_undeclared() -> None:
    assert EMAIL_PAYLOAD_SCHEMA.get("additionalProperties") is None  # open for extra data
    reason = undeclared_reason(EMAIL_PAYLOAD_SCHEMA, EMAIL_PAYLOAD_REF, ["payload", "customField"])
    assert reason is not None
    assert "not declared" in reason
