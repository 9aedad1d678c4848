"""Deterministic ids and keys: from the run id, the step and the loop-index vector.

A redelivered command recomputes exactly the same ids, so the shell's
``ON CONFLICT`` inserts make duplicates harmless, and a redelivery never starts
two children or calls a side-effectful action twice.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence

# Fixed namespace: changing it would change every derived id of every run.
NAMESPACE = uuid.UUID("5a1ce000-0000-4000-8000-00000000c0de")


def derived_id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def loop_key(indexes: Sequence[int]) -> str:
    return ".".join(str(i) for i in indexes)


def idempotency_key(run_id: str, step_id: str, indexes: Sequence[int]) -> str:
    """SPEC section 9: the engine's key when the step gives no ``idempotencyKey``."""
    suffix = f":{loop_key(indexes)}" if indexes else ""
    return f"{run_id}:{step_id}{suffix}"


def child_run_id(run_id: str, step_id: str, indexes: Sequence[int]) -> str:
    return derived_id("child-run", run_id, step_id, loop_key(indexes))


def sequenced_id(run_id: str, kind: str, seq: int) -> str:
    """Wait ids, task ids and action request ids: unique per run via its counter."""
    return derived_id(kind, run_id, str(seq))


def unit_interval(*parts: str) -> float:
    """A uniform number in [0, 1) from a hash: the deterministic PRNG for jitter."""
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
