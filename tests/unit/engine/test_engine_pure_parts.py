"""Engine and interpreter parts that need no infrastructure: plugins, failure
classification, batch lanes, command envelopes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sluice_engine import ActionFailedError, ActionHandlers, PluginError, load_plugins
from sluice_engine.executor import classify
from sluice_engine.grouping import Grouping, deal
from sluice_engine.messages import answer_id, command_message, command_of
from sluice_interpreter.handling import DecodedCommand, Record
from sluice_messaging.envelope import decode, encode
from sluice_messaging.topics import Topics
from workflow_core.errors import ErrorCategory
from workflow_core.interpreter.commands import Continue
from workflow_core.registry import create_registry


def test_plugin_by_module_function_registers_actions_and_handlers() -> None:
    registry, handlers = create_registry(), ActionHandlers()
    names = load_plugins("plugins.test_actions:register", registry, handlers, builtins=False)
    assert names == ["plugins.test_actions:register"]
    assert registry.actions.get("test.record", 1) is not None
    entry = handlers.get("test.record", 1)
    assert entry is not None
    assert entry.transactional


@pytest.mark.parametrize("spec", ["no_such_plugin", "no.such.module:register", "plugins:nothing"])
def test_unknown_plugin_is_refused_with_its_name(spec: str) -> None:
    with pytest.raises(PluginError, match="plugin"):
        load_plugins(spec, create_registry(), ActionHandlers(), builtins=False)


def test_handler_failures_are_classified_by_kind() -> None:
    declared = classify(ActionFailedError("nope", name="X", retryable=True))
    network = classify(ConnectionResetError("reset"))
    bug = classify(KeyError("k"))
    assert (declared.name, declared.category, declared.retryable) == (
        "X", ErrorCategory.ACTION, True,
    )  # fmt: skip
    assert (network.category, network.retryable) == (ErrorCategory.TRANSIENT, True)
    assert (bug.name, bug.retryable) == ("HANDLER_CRASHED", False)


def _item(run: str, offset: int) -> DecodedCommand:
    record = Record("t", 0, offset, run.encode(), b"")
    command = Continue(command_id=str(uuid.uuid4()), now=datetime.now(UTC))
    return DecodedCommand(record, "t", run, command)


def test_deal_keeps_each_runs_commands_together_and_in_order() -> None:
    items = [_item(run, i) for i, run in enumerate("abcabca")]
    groups = deal(items, Grouping(max_size=4), key=lambda item: item.run_id)
    assert len(groups) == 2
    for group in groups:
        for run in {i.run_id for i in group}:
            offsets = [i.record.offset for i in group if i.run_id == run]
            assert offsets == sorted(offsets)
    assert sorted(i.record.offset for g in groups for i in g) == list(range(7))
    # each run's lane whole in one group (a: 3 commands, b and c: 2): 5 + 2
    assert sorted(len({i.run_id for i in g}) for g in groups) == [1, 2]
    assert sum(len({i.run_id for i in g}) for g in groups) == 3
    assert sorted(len(g) for g in groups) == [2, 5]


def test_command_envelope_round_trips_with_the_command_id_as_message_id() -> None:
    run_id = str(uuid.uuid4())
    command = Continue(command_id=answer_id("timer", "w1"), now=datetime.now(UTC))
    message = command_message(Topics.from_prefix("x."), "acme", run_id, command)
    back = decode(encode(message.message))
    assert (message.topic, message.key) == ("x.run-commands", run_id)
    assert str(back.id) == command.command_id
    assert command_of(back) == command
    assert answer_id("timer", "w1") == command.command_id
