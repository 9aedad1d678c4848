"""read_paths: the fields an expression reads, never a false one."""

from __future__ import annotations

import pytest
from workflow_core.expressions import compile_expression, read_paths


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("payload.emailData.subject", {("payload", "emailData", "subject")}),
        ("payload.`first name`", {("payload", "first name")}),
        (
            "payload.items[price>5].name",
            {("payload", "items", "price"), ("payload", "items", "name")},
        ),
        ("payload.items[0].name", {("payload", "items", "name")}),
        (
            "payload.items[price > $$.vars.min]",
            {("payload", "items", "price"), ("vars", "min"), ("payload", "items")},
        ),
        ("$.payload.a", {("payload", "a")}),
        ("$$.payload.a", {("payload", "a")}),
        ("payload.a ? vars.b : meta.c", {("payload", "a"), ("vars", "b"), ("meta", "c")}),
        ("len(payload.body) > 0", {("payload", "body")}),
        ("coalesce(payload.x, vars.y)", {("payload", "x"), ("vars", "y")}),
        ("$count(payload.to) == 1", {("payload", "to")}),
        ("{'s': payload.s, 'n': [vars.n, 1]}", {("payload", "s"), ("vars", "n")}),
        ("payload.(subject & body)", {("payload", "subject"), ("payload", "body")}),
        ("payload.[a, b]", {("payload", "a"), ("payload", "b")}),
        ("payload.$uppercase(name)", {("payload", "name")}),
        ("(payload).x", {("payload",), ("payload", "x")}),
        (
            "($i := payload.items; $i.name)",
            {("payload", "items"), ("payload", "items", "name")},
        ),
        (
            "($i := payload.items; ($i := vars.v; $i.a); $i.b)",
            {("payload", "items"), ("vars", "v"), ("vars", "v", "a"), ("payload", "items", "b")},
        ),
        (
            "payload.items^(price).name",
            {("payload", "items", "price"), ("payload", "items", "name")},
        ),
        (
            "payload.items{name: price}",
            {("payload", "items"), ("payload", "items", "name"), ("payload", "items", "price")},
        ),
        ("payload.*.x", {("payload",)}),
        ("payload.**.x", {("payload",)}),
        ("$x.y", set()),
        ("$uppercase(payload.s).x", {("payload", "s")}),
        ("payload.items@$it.price", {("payload", "items")}),
        ("payload.items#$i[$i > 0].name", {("payload", "items", "name")}),
        ("payload ~> |items|{'n': name}|", {("payload",)}),
        ("event.payload.id", {("event", "payload", "id")}),
        ("1 + 2", set()),
    ],
)
def test_read_paths(source: str, expected: set[tuple[str, ...]]) -> None:
    assert read_paths(source) == expected


def test_read_paths_accepts_compiled_expressions() -> None:
    compiled = compile_expression("payload.a.b")
    assert read_paths(compiled) == {("payload", "a", "b")}
    assert read_paths(compiled) is not compiled.read_paths  # callers get their own set
