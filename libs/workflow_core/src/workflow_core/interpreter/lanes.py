"""Lanes: the items of a parallel loop in flight, each a cursor of its own.

A parallel ``control.forEach`` (``concurrency`` > 1) is a *coordinator* frame
(``branch == "lanes"``) on the cursor that reached it. Each started item is a
``Lane``: its own frames (beginning with its item's ``body`` frame), its own
envelope, active step, waits and pending action. The rest of the interpreter
knows nothing of lanes: to run an item, ``enter`` swaps the lane into the
RunState's cursor fields (the coordinator stays below the lane's frames, so
``loop_indexes`` and every id derived from them include the item), and
``leave`` swaps it back out when it parks. Between two commands every lane is
swapped out (``Ctx.entered`` is empty), so the stored state is the outer cursor
parked at the coordinator with its lanes inside it.

Commands are routed by what they answer: a request id, a wait (or task) id, a
child run id. Those are unique per run (sequence counter) or derive from the
loop indexes, so exactly one cursor can match; ``route`` enters the lanes down
to it (lanes nest when a parallel loop runs inside a parallel item).

Isolation: an item starts from the envelope as it was when the loop started
(plus its loop variables) and never sees another item's writes. When it
finishes, what it changed (top-level keys of ``payload``, ``vars`` and
``meta``, apart from the loop variables) is kept as its ``ItemResult``; when the
loop closes the results are applied in item order, so the last item's write
wins, as it would running one at a time, whatever order the items finished in.
``meta.redactions`` is the union.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator

from pydantic import JsonValue

from workflow_core.interpreter.commands import (
    ChildRunFinished,
    Command,
    CompleteAction,
    CompleteHumanTask,
    FireTimer,
    ResumeWait,
)
from workflow_core.interpreter.context import Ctx, Entered
from workflow_core.interpreter.effects import RequestAction
from workflow_core.interpreter.envelope import Envelope
from workflow_core.interpreter.state import (
    LANES,
    Frame,
    ItemResult,
    Lane,
    OpenWait,
    RunStatus,
    SectionWrites,
)

SECTIONS = ("payload", "vars", "meta")
REDACTIONS = "redactions"

Match = Callable[[RequestAction | None, list[OpenWait]], bool]


def is_coordinator(frame: Frame) -> bool:
    return frame.branch == LANES


def enter(ctx: Ctx, lane: Lane) -> None:
    """Swap ``lane`` (an item of the coordinator on top of the cursor) in."""
    state = ctx.state
    depth = len(state.frames) - 1
    assert is_coordinator(state.frames[depth]), "a lane is entered from its coordinator"
    ctx.entered.append(Entered(depth, lane, state.envelope, state.status))
    state.frames.extend(lane.frames)
    state.envelope = lane.envelope
    state.active, state.waits, state.pending_action = lane.active, lane.waits, lane.pending_action
    state.status = RunStatus.WAITING if lane.waits else RunStatus.RUNNING


def leave(ctx: Ctx) -> bool:
    """Swap the innermost entered lane back into its coordinator; False outside lanes."""
    if not ctx.entered:
        return False
    entry = ctx.entered.pop()
    state, lane = ctx.state, entry.lane
    lane.frames = state.frames[entry.depth + 1 :]
    del state.frames[entry.depth + 1 :]
    lane.envelope = state.envelope
    lane.active, lane.waits, lane.pending_action = state.active, state.waits, state.pending_action
    state.envelope = entry.outer_envelope
    state.active, state.waits, state.pending_action = None, [], None
    state.status = RunStatus.RUNNING
    return True


def at_lane_root(ctx: Ctx) -> bool:
    """The top frame is an entered item's own ``body`` frame."""
    return bool(ctx.entered) and len(ctx.state.frames) == ctx.entered[-1].depth + 2


def coordinator(ctx: Ctx) -> Frame:
    """The coordinator of the innermost entered lane."""
    return ctx.state.frames[ctx.entered[-1].depth]


def end_lane(ctx: Ctx, error: dict[str, JsonValue] | None = None) -> None:
    """The entered item finished (``error``: it failed, tolerated or not): keep
    what it wrote, swap it out and drop it from its loop."""
    entry, loop = ctx.entered[-1], coordinator(ctx)
    lane = entry.lane
    writes = _writes(entry.outer_envelope, ctx.state.envelope, _loop_vars(ctx, loop))
    result = ItemResult(index=lane.item_index, writes=writes, error=error)
    loop.results = [*(loop.results or []), result]
    leave(ctx)
    assert loop.lanes is not None
    loop.lanes = [other for other in loop.lanes if other is not lane]


def merge_results(envelope: Envelope, loop: Frame, errors_var: str) -> Envelope:
    """The envelope after applying the finished items' writes in item order,
    with the tolerated failures appended to ``vars[errors_var]`` (``{index, error}``)."""
    if not loop.results:
        return envelope
    merged = {key: copy.copy(value) for key, value in envelope.items()}
    results = sorted(loop.results or [], key=lambda r: r.index)
    for result in results:
        for section, writes in result.writes.items():
            target = merged.setdefault(section, {})
            assert isinstance(target, dict)
            for key in writes.removed:
                target.pop(key, None)
            for key, value in writes.assigned.items():
                if section == "meta" and key == REDACTIONS:
                    value = _union(target.get(key), value)
                target[key] = copy.deepcopy(value)
    failed = [{"index": r.index, "error": r.error} for r in results if r.error is not None]
    if failed:
        variables = merged["vars"]
        assert isinstance(variables, dict)
        previous = variables.get(errors_var)
        variables[errors_var] = [*(previous if isinstance(previous, list) else []), *failed]
    return merged


def interrupt(lane: Lane) -> None:
    """Forget what a canceled item was parked on (its waits were released, its
    action abandoned), in it and in the items of its own parallel loops."""
    lane.waits, lane.pending_action = [], None
    for inner in _lanes_below(lane.frames):
        inner.waits, inner.pending_action = [], None


def stalled(ctx: Ctx, lane: Lane) -> bool:
    """Nothing to do in this item until a command comes for it."""
    if lane.pending_action is not None or lane.waits:
        return True
    top = lane.frames[-1] if lane.frames else None
    return top is not None and is_coordinator(top) and loop_stalled(ctx, top)


def loop_stalled(ctx: Ctx, loop: Frame) -> bool:
    """A parallel loop that cannot start an item and whose items all wait."""
    in_flight = loop.lanes or []
    concurrency = getattr(ctx.program.steps[loop.block_path], "concurrency", 1)
    full = len(in_flight) >= concurrency or loop.item_index >= len(loop.items or [])
    return bool(in_flight) and full and all(stalled(ctx, lane) for lane in in_flight)


def route(ctx: Ctx, command: Command) -> None:
    """Enter the lanes down to the cursor ``command`` answers (none: stay outside)."""
    match = _matcher(command)
    state = ctx.state
    if match is None or match(state.pending_action, state.waits):
        return
    for lane in _find(state.frames, match):
        enter(ctx, lane)


def settle(ctx: Ctx) -> None:
    """The outer cursor parks at a coordinator: RUNNING while an action is in
    flight somewhere, else WAITING; the run's node path is the loop's."""
    state = ctx.state
    state.node_path = state.frames[-1].block_path
    busy = any(lane.pending_action is not None for lane in _lanes_below(state.frames))
    state.status = RunStatus.RUNNING if busy else RunStatus.WAITING


def pending_actions(frames: list[Frame]) -> list[RequestAction]:
    """The action requests of every lane in flight under ``frames``, in item order."""
    return [lane.pending_action for lane in _lanes_below(frames) if lane.pending_action]


def _lanes_below(frames: list[Frame]) -> Iterator[Lane]:
    top = frames[-1] if frames else None
    if top is None or not is_coordinator(top):
        return
    for lane in top.lanes or []:
        yield lane
        yield from _lanes_below(lane.frames)


def _find(frames: list[Frame], match: Match) -> list[Lane]:
    top = frames[-1] if frames else None
    if top is None or not is_coordinator(top):
        return []
    for lane in top.lanes or []:
        if match(lane.pending_action, lane.waits):
            return [lane]
        inner = _find(lane.frames, match)
        if inner:
            return [lane, *inner]
    return []


def _matcher(command: Command) -> Match | None:
    if isinstance(command, CompleteAction):
        request_id = command.request_id
        return lambda pending, _: pending is not None and pending.request_id == request_id
    if isinstance(command, ResumeWait | FireTimer | CompleteHumanTask):
        wait_id = command.task_id if isinstance(command, CompleteHumanTask) else command.wait_id
        return lambda _, waits: any(w.wait_id == wait_id for w in waits)
    if isinstance(command, ChildRunFinished):
        child = command.child_run_id
        return lambda _, waits: any(w.child_run_id == child for w in waits)
    return None


def _loop_vars(ctx: Ctx, loop: Frame) -> set[str]:
    step = ctx.program.steps[loop.block_path]
    item_var = getattr(step, "item_var", "")
    return {item_var, item_var + "Index"}


def _writes(base: Envelope, envelope: Envelope, skip: set[str]) -> dict[str, SectionWrites]:
    found: dict[str, SectionWrites] = {}
    for section in SECTIONS:
        before, after = _section(base, section), _section(envelope, section)
        ignored = skip if section == "vars" else set()
        assigned = {
            key: value
            for key, value in after.items()
            if key not in ignored and (key not in before or before[key] != value)
        }
        removed = [key for key in before if key not in after and key not in ignored]
        if assigned or removed:
            found[section] = SectionWrites(assigned=assigned, removed=removed)
    return found


def _section(envelope: Envelope, name: str) -> dict[str, JsonValue]:
    value = envelope.get(name)
    return value if isinstance(value, dict) else {}


def _union(first: JsonValue, second: JsonValue) -> list[JsonValue]:
    seen: list[JsonValue] = []
    for value in [
        *(first if isinstance(first, list) else []),
        *(second if isinstance(second, list) else []),
    ]:
        if value not in seen:
            seen.append(value)
    return seen
