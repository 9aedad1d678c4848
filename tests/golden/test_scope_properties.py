"""Properties of the type analysis (hypothesis).

1. A mutated path in the reference workflow is caught, or provably
   unknowable: the served scope (JSON Schema) of its step leaves that place
   open. A typo never slips through where the scope is known.
2. No false alarms: definitions that only read variables every path to the
   read has written get no READ_BEFORE_WRITE, UNKNOWN_VARIABLE or
   MAYBE_UNDEFINED finding.
3. The analysis never raises, and gives every step a scope.
"""

from __future__ import annotations

import json
from typing import Any

from golden.test_golden_scopes import plugin_registry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sluice_helpdesk.workflows import inbound_email_definition
from workflow_core.definitions import walk_steps
from workflow_core.registry import create_registry
from workflow_core.typeflow import env_schema
from workflow_core.validation import analyse_types, validate_definition, validate_with_types
from workflow_core.validation.expr_refs import step_exprs
from workflow_core.validation.shape import Findings, parse_draft

REGISTRY = plugin_registry()
PATH_CODES = {"UNKNOWN_FIELD", "UNKNOWN_VARIABLE", "READ_BEFORE_WRITE", "UNKNOWN_PAYLOAD_PATH"}
FLOW_CODES = {"READ_BEFORE_WRITE", "UNKNOWN_VARIABLE", "MAYBE_UNDEFINED"}


def _plain_reads() -> list[tuple[str, str, str]]:
    """(step path, expression source, dotted path) of every plain vars/payload path read."""
    draft = parse_draft(inbound_email_definition(), Findings())
    found = []
    for step in draft.steps:
        for expr in step_exprs(step):
            for token in (expr.source or "").replace("(", " ").replace(")", " ").split():
                if token.startswith(("vars.", "payload.")) and token.replace(".", "").isalnum():
                    found.append((step.path, expr.source or "", token))
    return sorted(set(found))


READS = _plain_reads()


def _mutate(name: str, how: int, where: int) -> str:
    at = where % (len(name) + 1)
    if how == 0:
        return name[:at] + "x" + name[at:]  # insert
    if how == 1 and len(name) > 1:
        return name[:at] + name[at + 1 :]  # delete
    return name[:at] + name[at:].swapcase()  # change case of the rest


def _open_in(schema: Any, names: list[str]) -> bool:
    """Whether the served JSON Schema lets ``names`` exist (open or declared all the way)."""
    for name in names:
        if not isinstance(schema, dict) or schema == {}:
            return True
        while "items" in schema and "properties" not in schema:
            schema = schema["items"]
            if schema == {}:
                return True
        properties = schema.get("properties")
        if properties is None:
            extra = schema.get("additionalProperties", {})
            if extra is False or set(schema.get("type", [])) <= {"string", "null", "boolean"}:
                return False
            schema = extra if isinstance(extra, dict) else {}
            continue
        if name in properties:
            schema = properties[name]
        elif isinstance(schema.get("additionalProperties"), dict):
            schema = schema["additionalProperties"]
        else:
            return False
    return True


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(READS),
    st.integers(min_value=1, max_value=6),
    st.integers(min_value=0, max_value=2),
    st.integers(min_value=0, max_value=30),
)
def test_a_mutated_path_is_caught_or_provably_unknowable(
    read: tuple[str, str, str], segment: int, how: int, where: int
) -> None:
    step_path, source, dotted = read
    names = dotted.split(".")
    index = 1 + (segment - 1) % (len(names) - 1)
    names[index] = _mutate(names[index], how, where)
    mutated_path = ".".join(names)
    if mutated_path == dotted:
        return
    before = f'"$expr": {json.dumps(source)}'
    after = f'"$expr": {json.dumps(source.replace(dotted, mutated_path))}'
    document = json.loads(json.dumps(inbound_email_definition()).replace(before, after))
    report, analysis = validate_with_types(document, registry=REGISTRY)
    caught = [
        e for e in report.errors
        if e.step_path == step_path and e.code.value in PATH_CODES and mutated_path in e.message
    ]  # fmt: skip
    scope = analysis.scope(step_path)
    assert scope is not None
    served = env_schema(scope.env, with_error=True)
    assert caught or _open_in(served, names), (mutated_path, report.errors)


# -- definitions built so that every read is written on every path before it ------------


@st.composite
def _pipeline(draw: st.DrawFn, written: frozenset[str], depth: int, prefix: str) -> Any:
    steps: list[dict[str, Any]] = []
    names = set(written)
    for index in range(draw(st.integers(min_value=1, max_value=4))):
        step_id = f"{prefix}{index}"
        kind = draw(st.sampled_from(["assign", "assign", "if", "loop"] if depth else ["assign"]))
        if kind == "assign":
            target = draw(st.sampled_from(["a", "b", "c", "d"]))
            read = draw(st.sampled_from(sorted(names))) if names else None
            value = f"vars.{read} & 'x'" if read else "'x'"
            steps.append(
                {"id": step_id, "type": "transform.assign",
                 "config": {"assign": {f"vars.{target}": {"$expr": value}}}}
            )  # fmt: skip
            names.add(target)
        elif kind == "if":
            then, then_names = draw(_pipeline(frozenset(names), depth - 1, step_id + "t"))
            other, else_names = draw(_pipeline(frozenset(names), depth - 1, step_id + "e"))
            steps.append(
                {"id": step_id, "type": "control.if", "condition": {"$expr": "payload.x = 1"},
                 "then": then, "else": other}
            )  # fmt: skip
            names = set(then_names) & set(else_names)
        else:
            body, _ = draw(_pipeline(frozenset(names), depth - 1, step_id + "b"))
            steps.append(
                {"id": step_id, "type": "control.forEach", "items": {"$expr": "[1, 2]"},
                 "itemVar": "item", "body": body}
            )  # fmt: skip
    return steps, frozenset(names)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_pipeline(frozenset(), 3, "s"))
def test_reads_written_on_every_path_get_no_flow_finding(built: Any) -> None:
    steps, _ = built
    document = {"name": "generated", "steps": steps}
    report = validate_definition(document, registry=create_registry().freeze())
    assert [e for e in report.errors if e.code.value in FLOW_CODES] == []
    analysis = analyse_types(document, REGISTRY)
    located = {found.path for found in walk_steps(_parsed(document).steps)}
    assert located == set(analysis.scopes)


def _parsed(document: dict[str, Any]) -> Any:
    from workflow_core.definitions import Definition

    return Definition.parse(document)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(["steps", "payloadSchemaRef", "name", "strictTypes"]), _JSON, max_size=4
    ),
    st.lists(
        st.fixed_dictionaries(
            {"id": st.text(max_size=4), "type": st.sampled_from([
                "control.if", "control.forEach", "control.tryCatch", "control.return",
                "control.callWorkflow", "transform.assign", "action.call", "event.wait",
                "human.task", "state.set", "email.parseBody", "x.y"])},
            optional={"then": _JSON, "else": _JSON, "body": _JSON, "try": _JSON, "catch": _JSON,
                      "config": _JSON, "itemVar": _JSON, "items": _JSON, "condition": _JSON,
                      "outputMapping": _JSON, "captureErrorAs": _JSON, "onError": _JSON},
        ),
        max_size=5,
    ),
)  # fmt: skip
def test_analysis_never_raises(root: dict[str, Any], steps: list[dict[str, Any]]) -> None:
    document = {**root, "steps": steps}
    analysis = analyse_types(document, REGISTRY)
    assert {f"root.steps[{i}]" for i in range(len(steps))} <= set(analysis.scopes)
    validate_definition(document, registry=REGISTRY)
