"""Tables that fit the terminal: columns shrink (widest first) and long cells end in ``…``.

Columns marked ``keep`` (ids people copy into the next command, times) are never
shrunk; when even the others at ``MIN_WIDTH`` do not fit beside them, columns
with a ``drop`` rank are left out, the highest rank first. The width is the
terminal's (``COLUMNS`` when set; 120 when stdout is not a terminal, so piped
output is stable).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import click

GAP = "  "
MIN_WIDTH = 6  # a shrunk column keeps this many characters (5 and the ellipsis)
ELLIPSIS = "…"


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Mapping[str, Any]], Any]
    keep: bool = False  # never shrunk (ids)
    drop: int | None = None  # left out on a narrow terminal, the highest rank first


def field(
    name: str, header: str | None = None, *, keep: bool = False, drop: int | None = None
) -> Column:
    """A column showing ``row[name]``."""
    return Column(header or name, lambda row: row.get(name), keep, drop)


def cell(value: Any) -> str:
    """A value as one line: none as ``-``, times to the second in UTC's ISO form."""
    if value is None:
        return "-"
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S")
        except ValueError:
            pass
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        import json

        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return " ".join(str(value).split())


def terminal_width() -> int:
    return shutil.get_terminal_size((120, 24)).columns


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + ELLIPSIS


def _floor(natural: int, keep: bool) -> int:
    return natural if keep else min(MIN_WIDTH, natural)


def layout(columns: Sequence[Column], natural: Sequence[int], total: int) -> list[int | None]:
    """Each column's width (None: left out) so that the line, gaps included, is at most
    ``total`` wide when it can be: drop ranked columns (highest rank first) until every
    column fits at its floor (``keep``: its natural width; others ``MIN_WIDTH``), then
    shrink the widest shrinkable column a character at a time."""
    shown = list(range(len(columns)))
    droppable = sorted((i for i, c in enumerate(columns) if c.drop is not None),
                       key=lambda i: -(columns[i].drop or 0))  # fmt: skip

    def need(indexes: list[int]) -> int:
        floors = sum(_floor(natural[i], columns[i].keep) for i in indexes)
        return floors + len(GAP) * (len(indexes) - 1)

    while need(shown) > total and droppable:
        shown.remove(droppable.pop(0))
    widths: list[int | None] = [natural[i] if i in shown else None for i in range(len(columns))]
    room = total - len(GAP) * (len(shown) - 1)
    while sum(w for w in widths if w is not None) > room:
        candidates = [i for i in shown
                      if (widths[i] or 0) > _floor(natural[i], columns[i].keep)]  # fmt: skip
        if not candidates:
            break
        widest = max(candidates, key=lambda i: widths[i] or 0)
        widths[widest] = (widths[widest] or 0) - 1
    return widths


def render(columns: Sequence[Column], rows: Sequence[Mapping[str, Any]], width: int) -> list[str]:
    """The header line and one line per row, each at most ``width`` characters wide
    (unless the ``keep`` columns alone are wider)."""
    texts = [[cell(column.value(row)) for column in columns] for row in rows]
    natural = [
        max([len(column.header), *(len(line[i]) for line in texts)])
        for i, column in enumerate(columns)
    ]
    widths = layout(columns, natural, width)
    lines = []
    for line in [[c.header for c in columns], *texts]:
        shown = [clip(text, w).ljust(w) for text, w in zip(line, widths, strict=True) if w]
        lines.append(GAP.join(shown).rstrip())
    return lines


def echo_table(columns: Sequence[Column], rows: Sequence[Mapping[str, Any]]) -> None:
    for line in render(columns, rows, terminal_width()):
        click.echo(line)


def echo_fields(document: Mapping[str, Any], names: Sequence[str]) -> None:
    """``name: value`` lines for one resource (values clipped to the terminal)."""
    pad = max(len(name) for name in names)
    width = max(terminal_width() - pad - 2, 20)
    for name in names:
        click.echo(f"{name.ljust(pad)}  {clip(cell(document.get(name)), width)}")
