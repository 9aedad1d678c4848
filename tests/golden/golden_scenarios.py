"""The golden scenarios: a definition file, a start payload and how the world answers.

Each scenario's history (commands in, effects out) is recorded once under
``histories/`` and replayed by ``test_golden_replay.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from golden.golden_driver import (
    T0,
    Driver,
    Reply,
    Responder,
    child_done,
    complete,
    event_for,
    fail,
    fire,
    scripted,
    start_command,
    task_done,
)
from golden.golden_stubs import email_registry, stub_action, stub_registry
from workflow_core.definitions import Definition
from workflow_core.interpreter import CancelRun, RegisterWait, RequestAction, StartChildRun
from workflow_core.registry import Registry

HERE = Path(__file__).parent
DEFINITIONS = HERE / "definitions"
HISTORIES = HERE / "histories"


@dataclass
class Scenario:
    name: str
    definition_file: str
    registry: Callable[[], Registry]
    responder: Responder
    payload: dict[str, Any]
    after: Callable[[Driver], None] = field(default=lambda driver: None)

    def definition(self) -> Definition:
        return Definition.parse(json.loads((DEFINITIONS / self.definition_file).read_text()))

    def play(self) -> Driver:
        driver = Driver(self.definition(), self.registry(), self.responder, roundtrip=True)
        driver.run(start_command(self.payload, run_id=f"run-{self.name}"))
        self.after(driver)
        return driver


def email_payload(text: str = "It is broken\n> earlier mail", **data: Any) -> dict[str, Any]:
    email: dict[str, Any] = {
        "id": "m1@mail.example",
        "from": {"email": "ann@client.example", "name": "Ann"},
        "subject": "Printer broken",
        "body": {"text": text, "html": "<p>It is broken</p>"},
        "references": [],
        "attachments": [
            {"id": "a1", "name": "photo.png", "contentType": "image/png", "size": 10},
            {"id": "a2", "name": "log.txt", "contentType": "text/plain", "size": 20},
        ],
        "autoSubmitted": False,
    }
    email.update(data)
    return {"emailData": email, "providerId": "prov-1"}


def ok(output: Any) -> Callable[[RequestAction], Reply]:
    return lambda request: complete(request, output)


def transient_once(output: Any) -> Callable[[RequestAction], Reply]:
    return lambda r: (
        fail(r, "TransientError", name="DB_BUSY") if r.attempt == 1 else complete(r, output)
    )


def refuse(name: str) -> Callable[[RequestAction], Reply]:
    return lambda request: fail(request, "ActionError", name=name)


CONTACT = {"found": True, "contactId": "c1", "clientId": "cl1"}
NO_MATCH = {"found": False}
DEFAULTS = {"found": True, "clientId": "cl1", "locationId": "loc1", "boardId": "b1"}
TICKET = {"ticketId": "t1", "ticketNumber": "TIC-000001", "replyToken": "tok-secret-1"}


def _attachment(request: RequestAction) -> Reply:
    if request.args["attachment"]["id"] == "a1":  # type: ignore[index,call-overload]
        return fail(request, "ActionError", name="ATTACHMENT_TOO_LARGE")
    return complete(request, {"attachmentId": "att-2"})


def _items_child(effect: StartChildRun) -> Reply:
    return child_done(effect, envelope={"vars": {"shipmentId": f"ship-{effect.payload['sku']}"}})


def _review(wait: RegisterWait) -> Reply:
    return [task_done(wait, {"approved": "yes"}), task_done(wait, {"approved": True, "note": "ok"})]


def _first_event_then_timeout(wait: RegisterWait) -> Reply:
    return fire(wait) if wait.event_name == "SHIPPED" else event_for(wait, {"by": "bob"})


def _flaky(request: RequestAction) -> Reply:
    n = request.args["n"]
    if n == 1:
        return fail(request, "TransientError") if request.attempt < 3 else complete(request, {})
    if n == 2:
        return fail(request, "ActionError", name="SOFT_FAILURE")
    return None  # "slow": still in flight when the run is canceled


def _parallel_work(request: RequestAction) -> Reply:
    n = request.args["n"]
    if n == 2:
        return fail(request, "TransientError") if request.attempt == 1 else complete(request, {})
    if n == 3:
        return fail(request, "ActionError", name="OUT_OF_STOCK")
    return complete(request, {"n": n})


def _cancel_then_late_result(driver: Driver) -> None:
    pending = driver.effects_of(RequestAction)[-1]
    driver.send(CancelRun(command_id="x", now=T0, reason="operator gave up"))
    driver.send(complete(pending, {"late": True}))


SCENARIOS = [
    Scenario(
        "email_new_ticket",
        "inbound_email_shape.json",
        email_registry,
        scripted(
            {
                "find_ticket_by_email_thread": ok(NO_MATCH),
                "find_contact_by_email": ok(CONTACT),
                "resolve_inbound_ticket_defaults": ok(DEFAULTS),
                "create_ticket_from_email": transient_once(TICKET),
                "send_ticket_acknowledgement_email": refuse("RATE_LIMITED"),
            }
        ),
        email_payload(),
    ),
    Scenario(
        "email_existing_ticket",
        "inbound_email_shape.json",
        email_registry,
        scripted(
            {
                "find_ticket_by_reply_token": ok({"found": True, "ticketId": "t9"}),
                "find_contact_by_email": ok(NO_MATCH),
                "create_comment_from_email": ok({"commentId": "cm9"}),
                "process_email_attachment": _attachment,
            }
        ),
        email_payload("Thanks [#tok-9]\n> quoted"),
    ),
    Scenario(
        "email_failure_to_task",
        "inbound_email_shape.json",
        email_registry,
        scripted({"find_ticket_by_email_thread": refuse("DB_DOWN")}),
        email_payload(),
    ),
    Scenario(
        "email_no_defaults",
        "inbound_email_shape.json",
        email_registry,
        scripted(
            {
                "find_ticket_by_email_thread": ok(NO_MATCH),
                "find_contact_by_email": ok(NO_MATCH),
                "resolve_inbound_ticket_defaults": ok(NO_MATCH),
            }
        ),
        email_payload(),
    ),
    Scenario(
        "waits_tasks_children",
        "waits_and_children.json",
        stub_registry,
        scripted(events=_first_event_then_timeout, tasks=_review, children=_items_child),
        {"requestId": "r-7", "items": [{"sku": "A"}, {"sku": "B", "bad": True}, {"sku": "C"}]},
    ),
    Scenario(
        "retries_and_cancel",
        "retries_and_cancel.json",
        lambda: stub_registry(stub_action("work")),
        scripted({"work": _flaky}),
        {},
        _cancel_then_late_result,
    ),
    Scenario(
        "delays",
        "delays.json",
        stub_registry,
        scripted(),  # timers fire at their due time
        {"followUpAt": "2025-01-02T08:00:00+01:00", "reminderMinutes": [5, 30]},
    ),
    Scenario(
        "parallel_items",
        "parallel_items.json",
        lambda: stub_registry(stub_action("work")),
        scripted({"work": _parallel_work}, children=_items_child),
        {"items": [{"n": n, "sku": f"S{n}"} for n in (1, 2, 3, 4, 5)]},
    ),
]
