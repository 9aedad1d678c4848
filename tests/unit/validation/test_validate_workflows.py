"""control.callWorkflow: UNKNOWN_WORKFLOW and RECURSIVE_CALL (direct and indirect)."""

from __future__ import annotations

from typing import Any

from validation_support import definition, email_registry, found
from workflow_core.validation import WorkflowInfo, validate_definition


def _call(target: str, version: int | None = None) -> dict[str, Any]:
    step: dict[str, Any] = {
        "id": f"call-{target}",
        "type": "control.callWorkflow",
        "workflowId": target,
    }
    if version is not None:
        step["workflowVersion"] = version
    return step


KNOWN = {
    "billing": WorkflowInfo("billing", versions=frozenset({1, 2})),
    "notify": WorkflowInfo("notify", calls=frozenset({"audit"})),
    "audit": WorkflowInfo("audit", calls=frozenset({"wf-self"})),
}


def test_direct_self_call_is_recursive_even_without_known_workflows() -> None:
    report = validate_definition(definition(_call("wf-self")), registry=email_registry())
    assert found(report) == [("error", "RECURSIVE_CALL", "root.steps[0]")]


def test_self_id_argument_overrides_the_document_id() -> None:
    report = validate_definition(
        definition(_call("draft-7")), registry=email_registry(), self_id="draft-7"
    )
    assert found(report) == [("error", "RECURSIVE_CALL", "root.steps[0]")]


def test_unknown_workflow_suggests_a_known_id() -> None:
    report = validate_definition(
        definition(_call("biling")), registry=email_registry(), known_workflows=KNOWN
    )
    assert found(report) == [("error", "UNKNOWN_WORKFLOW", "root.steps[0]")]
    assert report.errors[0].message == "unknown workflow 'biling' (did you mean 'billing'?)"


def test_unpublished_version_is_unknown() -> None:
    report = validate_definition(
        definition(_call("billing", 3), _call("billing", 2) | {"id": "ok"}),
        registry=email_registry(),
        known_workflows=KNOWN,
    )
    assert found(report) == [("error", "UNKNOWN_WORKFLOW", "root.steps[0]")]
    assert "published: 1, 2" in report.errors[0].message


def test_indirect_recursion_through_known_call_graph_is_reported() -> None:
    report = validate_definition(
        definition(_call("notify")), registry=email_registry(), known_workflows=KNOWN
    )
    assert found(report) == [("error", "RECURSIVE_CALL", "root.steps[0]")]
    assert report.errors[0].message == (
        "calls its own workflow indirectly: wf-self -> notify -> audit -> wf-self"
    )


def test_lookup_function_works_like_a_mapping() -> None:
    report = validate_definition(
        definition(_call("notify"), _call("ghost")),
        registry=email_registry(),
        known_workflows=KNOWN.get,
    )
    assert found(report) == [
        ("error", "RECURSIVE_CALL", "root.steps[0]"),
        ("error", "UNKNOWN_WORKFLOW", "root.steps[1]"),
    ]


def test_call_graph_cycles_not_involving_self_terminate() -> None:
    loop = {
        "a": WorkflowInfo("a", calls=frozenset({"b"})),
        "b": WorkflowInfo("b", calls=frozenset({"a"})),
    }
    report = validate_definition(
        definition(_call("a")), registry=email_registry(), known_workflows=loop
    )
    assert report.errors == []
