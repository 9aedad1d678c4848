"""Event-key locks in one global order (ARCHITECTURE "Events meet waits without races").

Routing an event and registering an event wait both take the
transaction-scoped advisory lock on ``(tenant, eventName, correlationKey)``
(``sluice_storage.event_key_lock_id``). One unit of work can need several:
routing takes its event's key and the keys its triggered runs wait on; a
batch of advances registers waits on many keys. Taken as the work came, two
units took two keys in opposite orders and deadlocked (routing ``ORDER:k``
started a run waiting for ``PAY:k`` while routing ``PAY:k`` started one waiting
for ``ORDER:k``; or two events each starting two runs that wait on keys from
the payload, ``x`` then ``y`` in one and ``y`` then ``x`` in the other).

So work that needs a key lock is gathered (``RunWrites.under_key_lock``), not
done on the spot. The unit's flush takes every key lock it gathered in ONE
statement, in ascending lock id, then runs the gathered work in the order it
came, then writes. The lock order of a unit is therefore:

1. its own new rows (the event, run and wait inserts), and the run rows it
   advances; no event-key lock, no committed event or event-wait row;
2. every event-key lock it needs, ascending;
3. event rows and event-wait rows (an earlier event for a new wait, the
   oldest open wait for an event, the conditional closes, releasing an
   event wait), then the history statement.

A unit waits for a key lock only in step 2, holding smaller key locks and no
row any unit in step 2 or 3 waits for (event rows are only locked under
their key lock; event-wait rows only in step 3; run rows are never locked
by routing or by step 3), so key locks cannot be part of a cycle.

Inserting before locking keeps the protocol race-free: each side inserts its
own row (the event, the wait) and only then, holding the key lock, looks at
the other side's rows. The second to take the lock runs after the first has
committed and sees its row; the first could not see the second's uncommitted
row. Exactly one of the two makes the match.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import asyncpg

KeyedRun = Callable[[asyncpg.Connection], Awaitable[None]]

# A function scan yields the array in order and the projection takes each lock
# before the next element is read: ascending ids in, ascending acquisition out.
TAKE_IN_ORDER = "SELECT pg_advisory_xact_lock(id) FROM unnest($1::bigint[]) AS id"


@dataclass(frozen=True)
class KeyedWork:
    """Work to run at the flush under ``lock_id`` (None: under the unit's key locks,
    without one of its own: releasing an event wait locks its row only after them)."""

    lock_id: int | None
    run: KeyedRun


def lock_order(work: Sequence[KeyedWork]) -> list[int]:
    """The distinct key locks of ``work``, in the one global order (ascending)."""
    return sorted({item.lock_id for item in work if item.lock_id is not None})


async def run_in_key_order(conn: asyncpg.Connection, work: Sequence[KeyedWork]) -> None:
    """Take every key lock of ``work`` (ascending, one statement), then run it in order."""
    ids = lock_order(work)
    if ids:
        await conn.execute(TAKE_IN_ORDER, ids)
    for item in work:
        await item.run(conn)
