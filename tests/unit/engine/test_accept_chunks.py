"""How the executor agent deals a batch's fast requests into concurrent transactions."""

from __future__ import annotations

import pytest
from sluice_engine.grouping import deal
from sluice_engine.jobs import NewJob
from sluice_interpreter.accepting import FAST, MAX_CHUNKS, MIN_CHUNK


def chunked(requests: list[NewJob]) -> list[list[NewJob]]:
    return deal(requests, FAST)


def _requests(count: int) -> list[NewJob]:
    return [NewJob("t", f"r{i}", "run", {}) for i in range(count)]


@pytest.mark.parametrize(
    ("count", "sizes"),
    [
        (0, []),
        (1, [1]),
        (3, [3]),
        (7, [3, 2, 2]),
        (13, [3, 2, 2, 2, 2, 2]),
        (30, [4] * 6 + [3] * 2),
        (500, [63] * 4 + [62] * 4),
    ],
)
def test_chunked_deals_a_batch_into_bounded_chunks_in_order(count: int, sizes: list[int]) -> None:
    requests = _requests(count)
    chunks = chunked(requests)
    assert [len(c) for c in chunks] == sizes
    assert [r for chunk in chunks for r in chunk] == requests


def test_chunked_never_exceeds_the_concurrency_bound_nor_goes_below_the_minimum() -> None:
    for count in range(MIN_CHUNK, 1200):
        sizes = [len(c) for c in chunked(_requests(count))]
        assert len(sizes) <= MAX_CHUNKS
        assert min(sizes) >= MIN_CHUNK
