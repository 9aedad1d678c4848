"""One grouping primitive and one fallback rule for every batched path.

A polled batch is cut into groups, each ONE transaction, run concurrently:
advancing commands (``sluice_interpreter.batching``), the executor's fast path
(``sluice_interpreter.accepting``), leased transactional jobs
(``sluice_interpreter.jobs``). ``deal`` does the cutting for all of them; what
differs is data (``Grouping``: how big a group may be, how many may run at
once, how small one may get) and the lane key (a run's commands stay together
and in order, in one group).

The fallback rule (``together_else_each``): a group that fails rolls back
whole and each of its items is redone on its own, so a poison item only fails
itself. (The executor's fast path falls back the same way, to the durable job
path, which handles each request on its own; run starts, ``StartBatcher``,
retry each start alone.)
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Grouping:
    """How a batch is dealt: groups of at most ``max_size`` items (a lane is never
    split, so one long lane may exceed it), at most ``max_groups`` of them (None: no
    bound), each of at least ``min_size`` items where the batch allows."""

    max_size: int = 1
    max_groups: int | None = None
    min_size: int = 1

    def count(self, items: int, lanes: int | None = None) -> int:
        """How many groups ``items`` (in ``lanes`` lanes) are dealt into (1 for none)."""
        count = math.ceil(items / self.max_size)
        if self.max_groups is not None:
            count = min(count, self.max_groups)
        count = min(count, items // self.min_size, items if lanes is None else lanes)
        return max(1, count)


def deal(
    items: Sequence[T], grouping: Grouping, key: Callable[[T], Hashable] | None = None
) -> list[list[T]]:
    """``items`` in near-equal groups, in order: lanes (items with one ``key``, in their
    order; no key: each item its own lane) are never split; no items, no groups."""
    lanes: dict[Hashable, list[T]] = {}
    for index, item in enumerate(items):
        lanes.setdefault(key(item) if key is not None else index, []).append(item)
    if not lanes:
        return []
    count = grouping.count(len(items), len(lanes))
    size, extra = divmod(len(items), count)
    targets = [size + (1 if i < extra else 0) for i in range(count)]
    groups: list[list[T]] = [[]]
    for lane in lanes.values():
        if groups[-1] and len(groups[-1]) >= targets[len(groups) - 1] and len(groups) < count:
            groups.append([])
        groups[-1].extend(lane)
    return groups


async def together_else_each(
    items: Sequence[T],
    together: Callable[[Sequence[T]], Awaitable[list[R]]],
    each: Callable[[T], Awaitable[R]],
    *,
    what: str,
    min_together: int = 2,
    each_concurrently: bool = False,
) -> list[R]:
    """``together(items)`` (one transaction); if it raises (rolled back) or there are
    fewer than ``min_together`` items, ``each(item)`` for every item instead."""
    if len(items) >= min_together:
        try:
            return await together(items)
        except Exception as exc:  # rolled back whole: each item on its own below
            log.info("%s: a group of %d rolled back (%r); each alone", what, len(items), exc)
    if each_concurrently:
        return list(await asyncio.gather(*(each(item) for item in items)))
    return [await each(item) for item in items]
