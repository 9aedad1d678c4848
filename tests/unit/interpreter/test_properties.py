"""Property tests over generated valid pipelines (random nesting of every step kind).

A seeded driver answers every action request and wait with outcomes derived
from a hash of (seed, request or wait id), so the same run always meets the
same world. Properties: ``advance`` never raises; every run ends final or
parked on a wait; a run whose state is serialized to JSON between commands,
or that "crashes" and redoes a command from the persisted state, produces
exactly the history of an uninterrupted run; and runs are deterministic.

``HYPOTHESIS_PROFILE=ci`` runs 200 examples, ``chaos`` 1000; default 40.
"""

from __future__ import annotations

import itertools
import json
import os
from typing import Any

from golden.golden_driver import (
    T0,
    Driver,
    Reply,
    complete,
    definition,
    event_for,
    fail,
    fire,
    start_command,
)
from golden.golden_stubs import stub_action, stub_registry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workflow_core.definitions import Definition
from workflow_core.interpreter import (
    AttemptStatus,
    CancelRun,
    RecordStepAttempt,
    RegisterWait,
    RequestAction,
    RetryRun,
    RunState,
    RunStatus,
    WaitKind,
    advance,
)
from workflow_core.interpreter.ids import unit_interval

EXAMPLES = {"ci": 200, "chaos": 1000}.get(os.environ.get("HYPOTHESIS_PROFILE", ""), 40)
SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
REGISTRY = stub_registry(stub_action("work"))
RETRY = {"maxAttempts": 2, "backoffMs": 100, "retryOn": ["TransientError", "ActionError"]}


def e(source: str) -> dict[str, str]:
    return {"$expr": source}


maybe_policies = st.fixed_dictionaries(
    {},
    optional={
        "retry": st.just(RETRY),
        "onError": st.sampled_from([{"policy": "continue"}, {"policy": "fail"}]),
    },
)
state_sets = st.builds(
    lambda s: {"type": "state.set", "config": {"state": s}}, st.sampled_from(["A", "B"])
)
assigns = st.builds(
    lambda v: {
        "type": "transform.assign",
        "config": {"assign": {"vars.n": e(v), "vars.t": e("nowIso()")}},
    },
    st.sampled_from(["$coalesce(vars.n, 0) + 1", "vars.it", "payload.x"]),
)
action_calls = st.builds(
    lambda p: {
        "type": "action.call",
        "config": {
            "actionId": "work",
            "version": 1,
            "args": {"n": e("vars.n")},
            "saveAs": "vars.out",
        },
        **p,
    },
    maybe_policies,
)
event_waits = st.builds(
    lambda t: {
        "type": "event.wait",
        "config": {
            "eventName": "E",
            "correlationKey": e("'k'"),
            "timeoutMs": t,
            "assign": {"vars.ev": e("event.payload")},
        },
    },
    st.sampled_from([1000, 60000]),
)
compute_nodes = st.builds(
    lambda fail_, cat, p: {
        "type": "test.maybeFail",
        "config": {"fail": fail_, "category": cat, "retryable": True, "value": 1},
        **p,
    },
    st.sampled_from([True, False, e("vars.itIndex = 1")]),
    st.sampled_from(["ActionError", "TransientError", "ValidationError"]),
    maybe_policies,
)
# Actions weigh triple: they are what parks and resumes a run most often.
leaves = st.one_of(
    state_sets,
    assigns,
    action_calls,
    action_calls,
    action_calls,
    event_waits,
    compute_nodes,
    compute_nodes,
    st.just({"type": "control.return"}),
)


def blocks(children: st.SearchStrategy[list[Any]]) -> st.SearchStrategy[list[Any]]:
    block = st.one_of(
        st.builds(
            lambda c, t, o: {"type": "control.if", "condition": e(c), "then": t, "else": o},
            st.sampled_from(["true", "false", "vars.n > 1", "$nope()"]),
            children,
            children,
        ),
        st.builds(
            lambda items, body, mode, parallel: {
                "type": "control.forEach",
                "items": e(items),
                "itemVar": "it",
                "body": body,
                "onItemError": mode,
                **parallel,
            },
            st.sampled_from(["[1, 2]", "[]", "null", "[1, 2, 3]", "'x'"]),
            children,
            st.sampled_from(["fail", "continue"]),
            st.sampled_from(
                [{}, {"concurrency": 2}, {"concurrency": 3, "toleratedFailureCount": 1}]
            ),
        ),
        st.builds(
            lambda t, c, cap: {"type": "control.tryCatch", "try": t, "catch": c, **cap},
            children,
            children,
            st.sampled_from([{}, {"captureErrorAs": "caught"}]),
        ),
    )
    return st.lists(st.one_of(leaves, block), min_size=1, max_size=4)


nested = st.recursive(st.lists(leaves, min_size=1, max_size=4), blocks, max_leaves=16)
# Two nested pipelines back to back: long enough runs to park and resume often.
pipelines = st.tuples(nested, nested).map(lambda pair: pair[0] + pair[1])


def with_ids(steps: list[Any], counter: itertools.count[int] | None = None) -> list[Any]:
    counter = counter or itertools.count()
    out = []
    for step in steps:
        step = {**step, "id": f"s{next(counter)}"}
        for branch in ("then", "else", "body", "try", "catch"):
            if branch in step:
                step[branch] = with_ids(step[branch], counter)
        out.append(step)
    return out


def world(seed: int) -> Any:
    """Outcomes from a hash of (seed, id): the same request always meets the same answer."""

    def pick(key: str, n: int) -> int:
        return int(unit_interval(str(seed), key) * n)

    def respond(effect: Any, state: RunState) -> Reply:
        if isinstance(effect, RequestAction):
            choice = pick(effect.request_id, 5)
            if choice == 3:
                return fail(effect, "TransientError")
            if choice == 4:
                return fail(effect, "ActionError", retryable=pick("r" + effect.request_id, 2) == 1)
            return complete(effect, {"n": choice})
        if isinstance(effect, RegisterWait):
            if effect.kind is WaitKind.RETRY:
                return fire(effect)
            choice = pick(effect.wait_id, 4)
            if choice == 0:
                return None  # never answered: the run stays parked
            return fire(effect) if choice == 1 else event_for(effect, {"p": choice})
        return None

    return respond


def play(steps: list[Any], seed: int, *, roundtrip: bool) -> Driver:
    driver = Driver(definition(*steps), REGISTRY, world(seed), roundtrip=roundtrip)
    driver.run(start_command({"x": seed}, seed=seed), max_commands=300)
    return driver


@SETTINGS
@given(pipelines, st.integers(0, 2**16))
def test_runs_end_final_or_parked_and_never_raise(steps: list[Any], seed: int) -> None:
    driver = play(with_ids(steps), seed, roundtrip=True)
    state = driver.state
    assert state is not None
    if not state.status.final:
        assert state.open_waits(), state.status
        assert state.status.value == "WAITING"
    else:
        assert state.open_waits() == []
        assert state.pending_action is None
        _every_started_attempt_ends_once(driver)


@SETTINGS
@given(pipelines, st.integers(0, 2**16))
def test_json_roundtrip_between_commands_changes_nothing(steps: list[Any], seed: int) -> None:
    steps = with_ids(steps)
    plain = play(steps, seed, roundtrip=False)
    serialized = play(steps, seed, roundtrip=True)
    assert plain.effects() == serialized.effects()
    assert plain.state is not None
    assert serialized.state is not None
    assert plain.state.model_dump(mode="json") == serialized.state.model_dump(mode="json")


@SETTINGS
@given(pipelines, st.integers(0, 2**16), st.data())
def test_crash_and_redo_from_persisted_state_gives_the_same_history(
    steps: list[Any], seed: int, data: st.DataObject
) -> None:
    steps = with_ids(steps)
    reference = play(steps, seed, roundtrip=False)
    crash_at = data.draw(st.integers(0, max(0, len(reference.history) - 1)))
    definition_ = reference.definition
    state: RunState | None = None
    for index, step in enumerate(reference.history):
        if index == crash_at:  # the shell crashed before committing: nothing persisted
            advance(definition_, state, step.command, registry=REGISTRY)
        if state is not None:
            state = RunState.model_validate(json.loads(json.dumps(state.model_dump(mode="json"))))
        transition = advance(definition_, state, step.command, registry=REGISTRY)
        assert transition.model_dump(mode="json") == step.transition.model_dump(mode="json")
        state = transition.state


@SETTINGS
@given(pipelines, st.integers(0, 2**16))
def test_runs_are_deterministic(steps: list[Any], seed: int) -> None:
    steps = with_ids(steps)
    assert play(steps, seed, roundtrip=True).record() == play(steps, seed, roundtrip=True).record()


def test_generated_pipelines_are_valid_definitions() -> None:
    @settings(max_examples=20, deadline=None)
    @given(pipelines)
    def check(steps: list[Any]) -> None:
        assert isinstance(Definition.parse({"name": "x", "steps": with_ids(steps)}), Definition)

    check()


def _every_started_attempt_ends_once(driver: Driver) -> None:
    open_: dict[tuple[str, str, int], int] = {}
    started: set[tuple[str, str, int]] = set()
    for effect in driver.effects_of(RecordStepAttempt):
        key = (effect.node_path, json.dumps(effect.loop_indexes), effect.attempt)
        if effect.status is AttemptStatus.STARTED:
            assert key not in started, f"{key} started twice"
            started.add(key)
        open_[key] = open_.get(key, 0) + (1 if effect.status is AttemptStatus.STARTED else -1)
    assert all(count == 0 for count in open_.values()), open_


@SETTINGS
@given(pipelines, st.integers(0, 2**16), st.data())
def test_duplicates_are_no_ops_and_cancel_is_safe_anywhere(
    steps: list[Any], seed: int, data: st.DataObject
) -> None:
    reference = play(with_ids(steps), seed, roundtrip=False)
    history = reference.history
    cut = data.draw(st.integers(0, len(history) - 1))
    state = history[cut].transition.state
    for earlier in data.draw(st.lists(st.sampled_from(history[: cut + 1]), max_size=3)):
        again = advance(reference.definition, state, earlier.command, registry=REGISTRY)
        assert {e.type for e in again.effects} <= {"AppendLog"}, earlier.command.type
        assert again.state.model_dump(mode="json") == state.model_dump(mode="json")
    canceled = advance(
        reference.definition,
        state,
        CancelRun(command_id="cx", now=T0, reason="r"),
        registry=REGISTRY,
    )
    assert canceled.state.status.final
    assert canceled.state.open_waits() == []
    assert canceled.state.pending_action is None
    for later in history[cut + 1 :]:
        after = advance(reference.definition, canceled.state, later.command, registry=REGISTRY)
        assert {e.type for e in after.effects} <= {"AppendLog"}
        assert after.state.status is canceled.state.status


@SETTINGS
@given(pipelines, st.integers(0, 2**16))
def test_a_failed_run_can_be_retried_at_its_failed_step(steps: list[Any], seed: int) -> None:
    reference = play(with_ids(steps), seed, roundtrip=True)
    state = reference.state
    assert state is not None
    if state.status is not RunStatus.FAILED:
        return
    assert state.failure is not None
    retried = advance(
        reference.definition, state, RetryRun(command_id="r", now=T0), registry=REGISTRY
    )
    assert retried.state.status is not RunStatus.FAILED or retried.state.failure is not None
    assert any(isinstance(e, RecordStepAttempt) for e in retried.effects)
