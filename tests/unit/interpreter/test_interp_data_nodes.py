"""state.set and transform.assign (SPEC section 6), and write paths."""

from __future__ import annotations

from golden.golden_driver import expr, run
from golden.golden_stubs import stub_registry
from workflow_core.interpreter import RunStatus

REGISTRY = stub_registry()


def assign(step_id: str, mapping: dict[str, object], **extra: object) -> dict[str, object]:
    return {"id": step_id, "type": "transform.assign", "config": {"assign": mapping}, **extra}


def test_state_set_writes_meta_state() -> None:
    driver = run([{"id": "s", "type": "state.set", "config": {"state": "CREATING"}}], REGISTRY)
    assert driver.state is not None
    assert driver.state.envelope["meta"]["state"] == "CREATING"
    assert driver.state.status is RunStatus.SUCCEEDED


def test_assign_evaluates_all_before_writing_any() -> None:
    steps = [
        assign("a", {"vars.a": 1}),
        assign("b", {"vars.a": expr("vars.a + 1"), "vars.b": expr("vars.a")}),
    ]
    driver = run(steps, REGISTRY)
    assert driver.state is not None
    assert driver.state.envelope["vars"] == {"a": 2, "b": 1}


def test_assign_accepts_dot_paths_and_json_pointers() -> None:
    mapping = {
        "payload.a.b": 1,
        "/vars/x~1y": 2,
        "meta.tags.team": "ops",
        "/payload/a/c": expr("'s'"),
    }
    driver = run([assign("a", mapping)], REGISTRY, payload={"keep": True})
    env = driver.state.envelope if driver.state else {}
    assert env["payload"] == {"keep": True, "a": {"b": 1, "c": "s"}}
    assert env["vars"] == {"x/y": 2}
    assert env["meta"]["tags"] == {"team": "ops"}


def test_assign_indexes_and_appends_to_arrays() -> None:
    steps = [
        assign("a", {"vars.list": [1, 2]}),
        assign("b", {"/vars/list/0": 9, "/vars/list/-": 3}),
    ]
    driver = run(steps, REGISTRY)
    assert driver.state is not None
    assert driver.state.envelope["vars"]["list"] == [9, 2, 3]


def test_assign_is_all_or_nothing_on_a_bad_path() -> None:
    steps = [assign("a", {"vars.ok": 1, "run.id": 2}, onError={"policy": "continue"})]
    driver = run(steps, REGISTRY)
    assert driver.state is not None
    variables = driver.state.envelope["vars"]
    assert "ok" not in variables
    assert variables["lastError"]["category"] == "ValidationError"
    assert variables["lastError"]["name"] == "INVALID_ASSIGN_PATH"


def test_assign_is_all_or_nothing_on_an_expression_error() -> None:
    steps = [
        assign(
            "a", {"vars.ok": 1, "vars.bad": expr("$unknownFn(1)")}, onError={"policy": "continue"}
        )
    ]
    driver = run(steps, REGISTRY)
    assert driver.state is not None
    variables = driver.state.envelope["vars"]
    assert "ok" not in variables
    assert variables["lastError"]["category"] == "ExpressionError"
    assert variables["lastError"]["nodePath"] == "root.steps[0]"


def test_assign_refuses_paths_outside_payload_vars_meta() -> None:
    for bad in ("vars", "error.x", "/run/id", "vars..x", "/"):
        driver = run([assign("a", {bad: 1})], REGISTRY)
        assert driver.state is not None
        assert driver.state.status is RunStatus.FAILED, bad
        assert driver.state.envelope["error"]["name"] == "INVALID_ASSIGN_PATH"


def test_assign_refuses_writing_through_a_scalar() -> None:
    driver = run([assign("a", {"vars.s": "text"}), assign("b", {"vars.s.x": 1})], REGISTRY)
    assert driver.state is not None
    assert driver.state.envelope["error"]["name"] == "INVALID_ASSIGN_PATH"


def test_meta_redactions_can_grow_but_not_shrink() -> None:
    grow = [assign("a", {"meta.redactions": ["/payload/secret"]})]
    driver = run(grow, REGISTRY, payload={"secret": "hunter22"})
    assert driver.state is not None
    assert driver.state.status is RunStatus.SUCCEEDED
    shrink = [*grow, assign("b", {"meta.redactions": []})]
    driver = run(shrink, REGISTRY, payload={"secret": "hunter22"})
    assert driver.state is not None
    assert driver.state.envelope["error"]["name"] == "INVALID_REDACTIONS"


def test_snapshots_mask_redacted_pointers() -> None:
    from workflow_core.interpreter import WriteSnapshot

    steps = [
        assign("a", {"meta.redactions": ["/payload/secret"], "vars.copy": expr("payload.secret")})
    ]
    driver = run(steps, REGISTRY, payload={"secret": "hunter22"})
    snapshot = driver.effects_of(WriteSnapshot)[0].envelope
    assert snapshot["payload"]["secret"] == "***"
    assert snapshot["vars"]["copy"] == "***"
    assert driver.state is not None
    assert driver.state.envelope["payload"]["secret"] == "hunter22"


def test_written_values_never_alias_other_envelope_parts() -> None:
    steps = [assign("a", {"vars.copy": expr("payload.obj")}), assign("b", {"vars.copy.x": 2})]
    driver = run(steps, REGISTRY, payload={"obj": {"x": 1}})
    assert driver.state is not None
    assert driver.state.envelope["payload"]["obj"] == {"x": 1}
    assert driver.state.envelope["vars"]["copy"] == {"x": 2}


def test_undefined_expression_result_writes_null() -> None:
    driver = run([assign("a", {"vars.v": expr("payload.missing")})], REGISTRY)
    assert driver.state is not None
    assert driver.state.envelope["vars"] == {"v": None}


def test_payload_x_sensitive_fields_join_meta_redactions_at_start_and_on_write() -> None:
    from golden.golden_driver import Driver, definition, start_command
    from workflow_core.interpreter import WriteSnapshot
    from workflow_core.registry import create_registry

    registry = create_registry()
    secret = {"type": "string", "x-sensitive": True}
    schema = {
        "type": "object",
        "properties": {"pin": secret, "more": {"type": "object", "properties": {"key": secret}}},
    }
    registry.schemas.register("payload.Secret.v1", schema)
    steps = [assign("a", {"payload.more.key": "k-123456", "vars.echo": expr("payload.pin")})]
    driver = Driver(
        definition(*steps, payloadSchemaRef="payload.Secret.v1"),
        registry.freeze(),
        lambda e, s: None,
    )
    state = driver.run(start_command({"pin": "4711-9"}))
    assert state.envelope["meta"]["redactions"] == ["/payload/pin", "/payload/more/key"]
    snapshot = driver.effects_of(WriteSnapshot)[0].envelope
    assert snapshot["payload"] == {"pin": "***", "more": {"key": "***"}}
    assert snapshot["vars"]["echo"] == "***"
