"""The core never reads the wall clock or global randomness: every golden
scenario is replayed under a profiler that records each call of a clock or
random function, wherever it comes from (the core, pydantic, the JSONata engine)."""

from __future__ import annotations

import datetime
import gc
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import pytest
from golden.golden_scenarios import SCENARIOS, Scenario

TIME_READS = {"time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns"}
TIME_READS |= {"localtime", "gmtime", "ctime", "strftime"}
DATETIME_READS = {"now", "utcnow", "today"}


def forbidden_name(fn: Any) -> str | None:
    """The name of a clock or global-random read, else None.

    Built-in class methods are new bound objects on every access, so calls are
    recognised by their owner and name rather than by identity."""
    owner, name = getattr(fn, "__self__", None), getattr(fn, "__name__", "")
    if owner is time and name in TIME_READS:
        return f"time.{name}"
    if owner in (datetime.datetime, datetime.date) and name in DATETIME_READS:
        return f"{owner.__name__}.{name}"
    if owner is random._inst:  # type: ignore[attr-defined]  # the module-level Random
        return f"random.{name}"
    return None


@contextmanager
def clock_calls_recorded() -> Iterator[list[str]]:
    seen: list[str] = []

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        name = forbidden_name(arg) if event == "c_call" else None
        if name:
            seen.append(f"{name} from {frame.f_code.co_filename}:{frame.f_lineno}")

    # Garbage-collector callbacks belong to the test harness (hypothesis times
    # them with perf_counter), not to the code under test.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    sys.setprofile(profile)
    try:
        yield seen
    finally:
        sys.setprofile(None)
        if gc_was_enabled:
            gc.enable()


def test_the_profiler_sees_a_clock_read() -> None:
    with clock_calls_recorded() as seen:
        time.time()
        datetime.datetime.now()
        random.random()
    names = [entry.split(" ")[0] for entry in seen]
    assert names == ["time.time", "datetime.now", "random.random"]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_advance_reads_no_clock_and_no_global_randomness(scenario: Scenario) -> None:
    scenario.play()  # warm caches (compiled expressions, schema validators) outside the probe
    with clock_calls_recorded() as seen:
        played = scenario.play()
    assert played.state is not None
    assert seen == []
