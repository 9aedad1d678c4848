"""How a polled batch of commands is split into transactions (interpreter batching)."""

from __future__ import annotations

from sluice_interpreter.batching import MIN_GROUP, group_count
from sluice_interpreter.handling import PARALLEL_LANES


def test_group_count_small_batch_is_one_transaction() -> None:
    assert [group_count(n) for n in (1, 2, MIN_GROUP, 2 * MIN_GROUP - 1)] == [1, 1, 1, 1]


def test_group_count_grows_with_the_batch_up_to_the_lanes() -> None:
    assert group_count(2 * MIN_GROUP) == 2
    assert group_count(8 * MIN_GROUP) == min(8, PARALLEL_LANES)
    assert group_count(500) == PARALLEL_LANES
