"""How a polled batch of commands is split into transactions (interpreter batching)."""

from __future__ import annotations

from sluice_interpreter.batching import ADVANCE, CHUNK, MAX_CHUNKS


def group_count(commands: int) -> int:
    return ADVANCE.count(commands)


def test_group_count_batch_up_to_a_chunk_is_one_transaction() -> None:
    assert [group_count(n) for n in (0, 1, 2, CHUNK)] == [1, 1, 1, 1]


def test_group_count_grows_with_the_batch_up_to_max_chunks() -> None:
    assert group_count(CHUNK + 1) == 2
    assert group_count(3 * CHUNK) == min(3, MAX_CHUNKS)
    assert group_count(100 * CHUNK) == MAX_CHUNKS
