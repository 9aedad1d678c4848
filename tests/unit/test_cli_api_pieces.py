"""The pure parts of the operator commands: problem lines, table layout, file form."""

from __future__ import annotations

import json

import pytest
from sluice_cli.api import problem_line
from sluice_cli.definition_files import (
    canonical,
    file_names,
    file_text,
    plan_entry,
    publish_order,
    slug,
)
from sluice_cli.table import ELLIPSIS, Column, field, render


def test_problem_line_adds_only_pointers_the_detail_does_not_name() -> None:
    validation = {"status": 422, "code": "VALIDATION_FAILED",
                  "detail": "the request is invalid: /reason: Field required",
                  "errors": [{"pointer": "/reason", "message": "Field required"}]}  # fmt: skip
    assert problem_line(422, validation) == (
        "422 VALIDATION_FAILED: the request is invalid: /reason: Field required"
    )
    items = [{"pointer": "/payload/a", "message": "bad"}, {"pointer": "", "message": "x"}]
    terse = {"code": "INVALID_PAYLOAD", "detail": "the payload\nbreaks its schema",
             "errors": items}  # fmt: skip
    assert problem_line(422, terse) == (
        "422 INVALID_PAYLOAD: the payload breaks its schema [/payload/a: bad; /: x]"
    )
    assert problem_line(502, "<html>Bad\n gateway</html>") == "502: <html>Bad gateway</html>"
    assert problem_line(500, {"unexpected": True}) == '500: {"unexpected": true}'


ROWS = [{"id": "0123456789abcdef", "name": "a rather long name here", "kind": "x" * 30}] * 2
COLUMNS = (field("id", "ID", keep=True), field("name", "NAME"), field("kind", "KIND", drop=1))


@pytest.mark.parametrize("width", [80, 60, 45, 30])
def test_tables_fit_keep_ids_whole_and_drop_ranked_columns_last(width: int) -> None:
    lines = render(COLUMNS, ROWS, width)
    assert all(len(line) <= width for line in lines)
    assert all(line.startswith(("ID", "0123456789abcdef")) for line in lines)
    if width >= 45:
        assert "KIND" in lines[0]
    if width == 30:  # id 16 + name at 6 + kind at 6 + gaps > 30: kind goes
        assert lines[0].split() == ["ID", "NAME"]
        assert lines[1] == "0123456789abcdef  a rather lo" + ELLIPSIS
    assert render(COLUMNS, ROWS, 200)[1].split("  ")[-1] == "x" * 30


def test_cells_show_none_times_and_objects_on_one_line() -> None:
    rows = [{"a": None, "b": "2026-01-02T03:04:05.678Z", "c": {"k": [1, "two\nlines"]}}]
    cols = [field("a"), field("b"), field("c"), Column("D", lambda r: True)]
    assert render(cols, rows, 200)[1].split("  ") == [
        "-", "2026-01-02 03:04:05", '{"k":[1,"two\\nlines"]}', "yes"]  # fmt: skip


def test_canonical_key_order_is_fixed_and_values_kept() -> None:
    document = {"steps": [{"config": {"z": 1, "a": {"$expr": "x"}}, "type": "control.if",
                           "else": [{"type": "state.set", "id": "e"}], "id": "i",
                           "condition": {"$expr": "true"}, "then": {"steps": []}}],
                "name": "n", "version": 3, "$schema": "s", "trigger": {"eventName": "E",
                "type": "event"}, "id": "w", "custom": 1}  # fmt: skip
    shaped = canonical(document)
    assert list(shaped) == ["id", "name", "trigger", "steps", "custom"]
    assert list(shaped["trigger"]) == ["type", "eventName"]
    step = shaped["steps"][0]
    assert list(step) == ["id", "type", "condition", "config", "then", "else"]
    assert list(step["config"]) == ["a", "z"]
    assert list(step["else"][0]) == ["id", "type"]
    assert json.loads(file_text(document)) == {k: v for k, v in document.items()
                                               if k not in ("version", "$schema")}  # fmt: skip
    assert file_text(document) == file_text(json.loads(file_text(document)))


def test_file_names_are_slugs_with_an_id_prefix_only_on_collisions() -> None:
    assert slug("Ünïcode & more!") == "unicode-more"
    assert slug("!!!") == "workflow"
    names = file_names([("aaaaaaaa-1", "Greeting"), ("bbbbbbbb-2", "greeting"),
                        ("cccccccc-3", "Other")])  # fmt: skip
    assert names == {
        "aaaaaaaa-1": "greeting-aaaaaaaa.json", "bbbbbbbb-2": "greeting-bbbbbbbb.json",
        "cccccccc-3": "other.json",
    }  # fmt: skip


def test_publish_order_puts_callees_first_and_survives_cycles() -> None:
    def calls(*targets: str) -> dict[str, object]:
        return {"steps": [{"id": t, "type": "control.callWorkflow", "workflowId": t}
                          for t in targets]}  # fmt: skip

    documents = {"a": calls("B"), "b": calls("C"), "c": calls(), "d": calls("A", "D")}
    ids = {"a": "A", "b": "B", "c": "C", "d": "D"}
    assert publish_order(documents, ids) == ["c", "b", "a", "d"]
    cycle = {"x": calls("Y"), "y": calls("X")}
    assert sorted(publish_order(cycle, {"x": "X", "y": "Y"})) == ["x", "y"]


def test_plan_entry_kinds() -> None:
    doc = {"id": "w", "name": "n", "steps": [{"id": "s", "type": "state.set"}]}
    assert plan_entry("f", doc, None, None, None, None, None).kind == "create"
    same = plan_entry("f", doc, "w", {**doc, "version": 1}, 1, doc, '"t"')
    assert (same.kind, same.note) == ("unchanged", None)
    edited = {**doc, "name": "m"}
    assert plan_entry("f", doc, "w", doc, 1, edited, '"t"').note is not None
    changed = plan_entry("f", edited, "w", doc, 1, doc, '"t"')
    assert (changed.kind, changed.changes) == ("change", {"fields": ["name"]})
    never = plan_entry("f", doc, "w", None, None, doc, '"t"')
    assert (never.kind, never.note) == ("change", "never published")
