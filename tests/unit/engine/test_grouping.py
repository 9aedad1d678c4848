"""The one grouping primitive (``deal``) and the one fallback rule (``together_else_each``)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sluice_engine.grouping import Grouping, deal, together_else_each


def test_deal_never_splits_a_lane_and_bounds_the_groups() -> None:
    items = [("r1", 1), ("r2", 1), ("r1", 2), ("r3", 1), ("r1", 3), ("r4", 1)]
    groups = deal(items, Grouping(max_size=2, max_groups=2), key=lambda item: item[0])
    assert len(groups) == 2
    assert [i for g in groups for i in g if i[0] == "r1"] == [("r1", 1), ("r1", 2), ("r1", 3)]
    assert sum(len({i[0] for i in g}) for g in groups) == 4  # each run in one group only
    assert deal([], Grouping()) == []


def test_count_is_bounded_by_size_groups_minimum_and_lanes() -> None:
    assert Grouping(max_size=8).count(17) == 3
    assert Grouping(max_size=1, max_groups=8, min_size=2).count(7) == 3
    assert Grouping(max_size=1).count(10, lanes=4) == 4
    assert Grouping(max_size=5).count(0) == 1


async def test_together_else_each_redoes_each_item_alone_after_a_failed_group() -> None:
    calls: list[object] = []

    async def together(items: Sequence[int]) -> list[int]:
        calls.append(tuple(items))
        if 3 in items:
            raise ValueError("poison")  # the whole group rolls back
        return [i * 10 for i in items]

    async def each(item: int) -> int:
        calls.append(item)
        return -item

    assert await together_else_each([1, 2], together, each, what="t") == [10, 20]
    assert await together_else_each([2, 3], together, each, what="t") == [-2, -3]
    assert await together_else_each([4], together, each, what="t") == [-4]  # alone: no group
    assert calls == [(1, 2), (2, 3), 2, 3, 4]


async def test_together_else_each_may_run_the_items_concurrently() -> None:
    async def together(items: Sequence[int]) -> list[int]:
        raise RuntimeError("down")

    async def each(item: int) -> int:
        if item == 2:
            raise KeyError(item)  # an item's own failure is the caller's to see
        return item

    with pytest.raises(KeyError):
        await together_else_each([1, 2], together, each, what="t", each_concurrently=True)
    assert await together_else_each([5], together, each, what="t", min_together=1,
                                    each_concurrently=True) == [5]  # fmt: skip
