"""Shadow runs: replay a past run's trigger payload through a draft, in memory.

``ShadowRun(definition, registry, recording, version=...)`` starts the draft on
the recorded payload (same run id, seed, tags and start time) in a
``Simulation`` and answers every effect from the recording, never from the
world:

- **Actions** are matched to a recorded invocation by action id and step id:
  the same idempotency key first (same step, same loop item), else the next
  unused invocation of that step (its *occurrence*). Its recorded outcome (output,
  or the failure) answers every attempt under that key. ``INPUT_CHANGED`` when
  the draft's arguments (or the action's version) differ from the recorded
  input; ``NO_RECORDING`` when nothing matches or the call never finished: the
  draft gets a null output and the call says so. Actions named in
  ``live_actions`` (pure and I/O-free, the shell decides) are left to the
  caller: ``start``/``answer`` return their requests, the shell runs the
  handler and answers (``EXECUTED``).
- **Event waits** get the event that resolved the same step's wait in the
  past run (same occurrence, same event name); a recorded timeout fires the
  draft's timeout (virtual time); nothing recorded leaves the wait open and
  the draft's outcome ``WAITING``.
- **Human tasks** get the recorded completion (``REFUSED`` when the draft's
  form refuses that output: the task stays open), or the recorded timeout.
- **Timers** (delays and retry back-offs) fire at once, in virtual time.
- **Child runs** are not run again: the draft's ``callWorkflow`` gets the
  recorded child's outcome and final envelope (matched by child run id, else
  by step and occurrence); none recorded leaves it waiting.

Time is virtual: a recorded answer arrives at the time it arrived, so
``nowIso()`` in an unchanged step gives what it gave. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import Field, JsonValue

from workflow_core.definitions import Definition
from workflow_core.interpreter import (
    DEFAULT_LIMITS,
    ActionFailure,
    ChildRunFinished,
    CompleteAction,
    CompleteHumanTask,
    FinishRun,
    FireTimer,
    RegisterWait,
    RequestAction,
    ResumeWait,
    RunLimits,
    RunState,
    StartChildRun,
    StartRun,
    WaitKind,
    payload_violations,
)
from workflow_core.interpreter.wire import FrozenModel
from workflow_core.registry import Registry
from workflow_core.simulation.driver import DEFAULT_MAX_COMMANDS, Reply, Simulation
from workflow_core.simulation.outcome import (
    REFUSED,
    Change,
    Outcome,
    diff_envelopes,
    outcome_changed,
    outcome_of,
)
from workflow_core.simulation.recording import (
    RecordedChild,
    RecordedInvocation,
    RecordedWait,
    RunRecording,
)

TICK = timedelta(0)  # recorded answers carry their own times; unrecorded ones take no time


class Answer(StrEnum):
    RECORDED = "RECORDED"  # the past run's answer, to the same input
    INPUT_CHANGED = "INPUT_CHANGED"  # the past run's answer, though the draft's input differs
    NO_RECORDING = "NO_RECORDING"  # nothing recorded: an action gets null, a wait stays open
    EXECUTED = "EXECUTED"  # a pure action the shell ran for real
    TIMED_OUT = "TIMED_OUT"  # the recorded wait timed out: the draft's timeout fired
    TIMER = "TIMER"  # a delay fired at once (virtual time)
    REFUSED = "REFUSED"  # the recorded task output breaks the draft's form


class ActionCallReport(FrozenModel):
    """One action request of the draft (one per attempt) and how it was answered."""

    step_id: str
    node_path: str
    action_id: str
    version: int
    attempt: int
    input: dict[str, JsonValue]
    answer: Answer
    recorded_input: JsonValue = None  # set when the answer is INPUT_CHANGED
    output: JsonValue = None
    error: ActionFailure | None = None


class WaitReport(FrozenModel):
    """An event wait, human task, delay or child run of the draft and how it was answered."""

    step_id: str
    node_path: str
    kind: WaitKind
    answer: Answer
    detail: str = ""


class UnusedRecording(FrozenModel):
    """A call the past run made that the draft did not make."""

    step_id: str | None
    action_id: str
    input: JsonValue = None


class ShadowResult(FrozenModel):
    run_id: str
    past: Outcome
    draft: Outcome
    outcome_changed: bool
    changes: list[Change] = Field(default_factory=list)
    changes_truncated: bool = False
    calls: list[ActionCallReport] = Field(default_factory=list)
    waits: list[WaitReport] = Field(default_factory=list)
    not_called: list[UnusedRecording] = Field(default_factory=list)
    commands: int = 0
    stopped: str | None = None  # why the draft's run stopped before ending, if it did
    draft_envelope: dict[str, JsonValue] = Field(default_factory=dict)


class ShadowRun:
    def __init__(
        self,
        definition: Definition,
        registry: Registry,
        recording: RunRecording,
        *,
        version: int,
        live_actions: Iterable[tuple[str, int]] = (),
        limits: RunLimits = DEFAULT_LIMITS,
        max_commands: int = DEFAULT_MAX_COMMANDS,
    ) -> None:
        self.recording = recording
        self.version = version
        self.registry = registry
        self.live_actions = frozenset(live_actions)
        self.max_commands = max_commands
        self.simulation = Simulation(
            definition, registry, self._respond, tick=TICK, limits=limits
        )  # fmt: skip
        self.calls: list[ActionCallReport] = []
        self._request_ids: list[str] = []  # of each call, in order
        self.waits: list[WaitReport] = []
        self._live: list[RequestAction] = []
        self._used_invocations: set[int] = set()
        self._by_key: dict[str, int | None] = {}  # idempotency key -> recorded invocation
        self._used_waits: set[int] = set()
        self._used_children: set[int] = set()
        self._task_reports: dict[str, int] = {}  # task id -> index in waits
        self._refused_payload: list[dict[str, JsonValue]] | None = None

    def start(self) -> list[RequestAction]:
        """Run the draft until it ends or parks; returns the pure requests to run for real."""
        rec, definition = self.recording, self.simulation.definition
        found = payload_violations(definition, rec.payload, registry=self.registry)
        if found:
            self._refused_payload = [{"pointer": v.pointer, "message": v.message} for v in found]
            return []
        start = StartRun(
            command_id="c0", now=rec.started_at, run_id=rec.run_id, tenant_id=rec.tenant_id,
            workflow_id=rec.workflow_id, workflow_version=self.version, payload=rec.payload,
            seed=rec.seed, trace_id=rec.trace_id, tags=rec.tags, call_depth=rec.call_depth,
            parent_run_id=rec.parent_run_id, parent_step_id=rec.parent_step_id,
        )  # fmt: skip
        self.simulation.run(start, max_commands=self.max_commands)
        return self._take_live()

    def answer(self, completions: Iterable[CompleteAction]) -> list[RequestAction]:
        """The shell's answers to the requests ``start``/``answer`` returned; goes on."""
        done = list(completions)
        by_request = {c.request_id: c for c in done}
        for index, (call, request_id) in enumerate(zip(self.calls, self._request_ids, strict=True)):
            found = by_request.get(request_id)
            if call.answer is Answer.EXECUTED and found is not None:
                update = {"output": found.output, "error": found.error}
                self.calls[index] = call.model_copy(update=update)
        self.simulation.feed(done, max_commands=self.max_commands)
        return self._take_live()

    def _take_live(self) -> list[RequestAction]:
        taken, self._live = self._live, []
        return taken if not self.simulation.exhausted else []

    # -- answering effects ------------------------------------------------------------

    def _respond(self, effect: object, state: RunState) -> Reply:
        if isinstance(effect, RequestAction):
            return self._action(effect)
        if isinstance(effect, RegisterWait):
            return self._wait(effect)
        if isinstance(effect, StartChildRun):
            return self._child(effect)
        return None

    def _action(self, request: RequestAction) -> Reply:
        if (request.action_id, request.version) in self.live_actions:
            self._live.append(request)
            self._report(request, Answer.EXECUTED)
            return None
        recorded = self._recorded_invocation(request)
        if recorded is None or recorded.status == "STARTED":
            self._report(request, Answer.NO_RECORDING)
            return CompleteAction(command_id="x", now=self._clock(), request_id=request.request_id)
        same = recorded.input == request.args and recorded.version == request.version
        answer = Answer.RECORDED if same else Answer.INPUT_CHANGED
        self._report(request, answer, recorded)
        return CompleteAction(
            command_id="x", now=recorded.finished_at or self._clock(),
            request_id=request.request_id, output=recorded.output, error=recorded.error,
        )  # fmt: skip

    def _recorded_invocation(self, request: RequestAction) -> RecordedInvocation | None:
        """Same key (a retry, or the same step and loop item), else the step's next one."""
        key = request.idempotency_key
        if key not in self._by_key:
            candidates = [
                i for i, rec in enumerate(self.recording.invocations)
                if i not in self._used_invocations and rec.action_id == request.action_id
                and rec.step_id == request.step_id
            ]  # fmt: skip
            invocations = self.recording.invocations
            exact = [i for i in candidates if invocations[i].idempotency_key == key]
            chosen = next(iter(exact or candidates), None)
            if chosen is not None:
                self._used_invocations.add(chosen)
            self._by_key[key] = chosen
        index = self._by_key[key]
        return None if index is None else self.recording.invocations[index]

    def _report(
        self, request: RequestAction, answer: Answer, recorded: RecordedInvocation | None = None
    ) -> None:
        changed = answer is Answer.INPUT_CHANGED and recorded is not None
        self.calls.append(
            ActionCallReport(
                step_id=request.step_id,
                node_path=request.node_path,
                action_id=request.action_id,
                version=request.version,
                attempt=request.attempt,
                input=request.args,
                answer=answer,
                recorded_input=recorded.input if changed and recorded else None,
                output=recorded.output if recorded else None,
                error=recorded.error if recorded else None,
            )
        )
        self._request_ids.append(request.request_id)

    def _wait(self, wait: RegisterWait) -> Reply:
        if wait.kind in (WaitKind.RETRY, WaitKind.TIMER):
            if wait.kind is WaitKind.TIMER:
                self._wait_report(wait, Answer.TIMER, "fired at once (virtual time)")
            assert wait.due_at is not None, "timers always carry their due time"
            return FireTimer(command_id="x", now=wait.due_at, wait_id=wait.wait_id)
        if wait.kind not in (WaitKind.EVENT, WaitKind.HUMAN_TASK):
            return None  # a child run's wait: answered on StartChildRun
        recorded = self._recorded_wait(wait)
        if recorded is None:
            self._wait_report(wait, Answer.NO_RECORDING, "nothing recorded: left open")
            return None
        if wait.kind is WaitKind.EVENT and recorded.event_name != wait.event_name:
            detail = f"the past run waited for {recorded.event_name!r} here: left open"
            self._wait_report(wait, Answer.NO_RECORDING, detail)
            return None
        if recorded.status == "FIRED":
            return self._timed_out(wait)
        return self._resolved(wait, recorded)

    def _timed_out(self, wait: RegisterWait) -> Reply:
        if wait.due_at is None:
            detail = "timed out in the past run; the draft's wait has no timeout: left open"
            self._wait_report(wait, Answer.NO_RECORDING, detail)
            return None
        self._wait_report(wait, Answer.TIMED_OUT, "timed out, as in the past run")
        return FireTimer(command_id="x", now=wait.due_at, wait_id=wait.wait_id)

    def _resolved(self, wait: RegisterWait, recorded: RecordedWait) -> Reply:
        now = recorded.resolved_at or self._clock()
        if wait.kind is WaitKind.EVENT and recorded.event is not None:
            self._wait_report(wait, Answer.RECORDED, f"event {recorded.event.event_id}")
            return ResumeWait(command_id="x", now=now, wait_id=wait.wait_id, event=recorded.event)
        if wait.kind is WaitKind.HUMAN_TASK and recorded.task_completed:
            self._task_reports[wait.wait_id] = len(self.waits)
            by = f" by {recorded.completed_by}" if recorded.completed_by else ""
            self._wait_report(wait, Answer.RECORDED, f"completed{by}")
            return CompleteHumanTask(
                command_id="x", now=now, task_id=wait.wait_id, output=recorded.task_output,
                completed_by=recorded.completed_by,
            )  # fmt: skip
        detail = f"the past run's wait ended {recorded.status} without an answer: left open"
        self._wait_report(wait, Answer.NO_RECORDING, detail)
        return None

    def _recorded_wait(self, wait: RegisterWait) -> RecordedWait | None:
        for index, recorded in enumerate(self.recording.waits):
            fits = recorded.kind is wait.kind and recorded.step_id == wait.step_id
            if fits and index not in self._used_waits:
                self._used_waits.add(index)
                return recorded
        return None

    def _wait_report(self, wait: RegisterWait, answer: Answer, detail: str) -> None:
        self.waits.append(
            WaitReport(
                step_id=wait.step_id,
                node_path=wait.node_path,
                kind=wait.kind,
                answer=answer,
                detail=detail,
            )
        )

    def _child(self, start: StartChildRun) -> Reply:
        recorded = self._recorded_child(start)
        path = self._wait_path(start.wait_id)
        if recorded is None or not recorded.status.final:
            report = WaitReport(step_id=start.parent_step_id, node_path=path,
                                kind=WaitKind.CHILD_RUN, answer=Answer.NO_RECORDING,
                                detail="no finished child run recorded: left waiting")  # fmt: skip
            self.waits.append(report)
            return None
        detail = f"child run {recorded.child_run_id} {recorded.status.value}"
        self.waits.append(
            WaitReport(
                step_id=start.parent_step_id,
                node_path=path,
                kind=WaitKind.CHILD_RUN,
                answer=Answer.RECORDED,
                detail=detail,
            )
        )
        return ChildRunFinished(
            command_id="x", now=recorded.completed_at or self._clock(),
            child_run_id=start.child_run_id, status=recorded.status,
            envelope=recorded.envelope, error=recorded.error,
        )  # fmt: skip

    def _recorded_child(self, start: StartChildRun) -> RecordedChild | None:
        children = self.recording.children
        free = [i for i in range(len(children)) if i not in self._used_children]
        same_id = [i for i in free if children[i].child_run_id == start.child_run_id]
        same_step = [i for i in free if children[i].step_id == start.parent_step_id]
        chosen = next(iter(same_id or same_step), None)
        if chosen is None:
            return None
        self._used_children.add(chosen)
        return children[chosen]

    def _wait_path(self, wait_id: str) -> str:
        state = self.simulation.state
        found = state.wait(wait_id) if state is not None else None
        return found.node_path if found is not None else ""

    def _clock(self) -> datetime:
        return self.simulation.clock or self.recording.started_at

    # -- the result -------------------------------------------------------------------

    def result(self) -> ShadowResult:
        rec = self.recording
        past = outcome_of(rec.status.value, rec.envelope, rec.error)
        if self._refused_payload is not None:
            error: dict[str, JsonValue] = {
                "name": "INVALID_PAYLOAD", "category": "ValidationError",
                "message": "the draft refuses the recorded payload: no run would start",
                "data": {"violations": [dict(v) for v in self._refused_payload]},
            }  # fmt: skip
            draft = Outcome(status=REFUSED, error=error)
            return ShadowResult(run_id=rec.run_id, past=past, draft=draft, outcome_changed=True)
        state = self.simulation.state
        assert state is not None, "start() ran"
        draft = outcome_of(state.status.value, state.envelope, self._run_error())
        changes, truncated = diff_envelopes(rec.envelope, state.envelope)
        return ShadowResult(
            run_id=rec.run_id, past=past, draft=draft,
            outcome_changed=outcome_changed(past, draft), changes=changes,
            changes_truncated=truncated, calls=list(self.calls), waits=self._final_waits(),
            not_called=self._not_called(), commands=len(self.simulation.history),
            stopped=self._stopped(state), draft_envelope=state.envelope,
        )  # fmt: skip

    def _run_error(self) -> dict[str, JsonValue] | None:
        for finish in self.simulation.effects_of(FinishRun):
            if finish.error is not None:
                found: dict[str, JsonValue] = finish.error.envelope_form()
                return found
        return None

    def _final_waits(self) -> list[WaitReport]:
        """The reports, with a task completion the draft's form refused marked so."""
        waits = list(self.waits)
        for step in self.simulation.history:
            command = step.command
            if isinstance(command, CompleteHumanTask) and step.transition.rejected:
                index = self._task_reports.get(command.task_id)
                if index is not None:
                    detail = (
                        f"the draft's form refuses the recorded output: {step.transition.rejected}"
                    )
                    waits[index] = waits[index].model_copy(
                        update={"answer": Answer.REFUSED, "detail": detail}
                    )
        return waits

    def _not_called(self) -> list[UnusedRecording]:
        return [
            UnusedRecording(step_id=rec.step_id, action_id=rec.action_id, input=rec.input)
            for i, rec in enumerate(self.recording.invocations)
            if i not in self._used_invocations
        ]

    def _stopped(self, state: RunState) -> str | None:
        if self.simulation.exhausted:
            return (
                f"stopped after {self.max_commands} commands (the draft loops or waits on timers)"
            )
        if state.status.final:
            return None
        open_waits = ", ".join(f"{w.kind.value} at {w.node_path}" for w in state.open_waits())
        return f"parked with nothing recorded to answer it ({open_waits or 'an action'})"
