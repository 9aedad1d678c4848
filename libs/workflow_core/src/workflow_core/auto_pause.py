"""Auto-pause, the pure part: the window of an ``autoPause`` rule and its verdict.

The shell counts the runs of the workflow that ended inside the window and how
many of them FAILED (where run completions are recorded), then asks
``should_pause``; the pause itself is ``sluice_engine.pausing``'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from workflow_core.definitions import AutoPause
from workflow_core.errors import SluiceError

# ISO 8601 durations of days, hours, minutes and seconds (``PT5M``, ``PT1H30M``, ``P1D``);
# months and years have no fixed length, so they are refused.
_DURATION = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
MIN_WINDOW = timedelta(seconds=10)
MAX_WINDOW = timedelta(days=7)


class WindowError(SluiceError):
    code = "INVALID_WINDOW"


def parse_window(text: str) -> timedelta:
    """``autoPause.window`` as a duration; ``WindowError`` naming the problem."""
    found = _DURATION.match(text)
    if found is None or text in ("P", "PT") or text.endswith("T"):
        raise WindowError(
            f"autoPause.window {text!r} is not an ISO 8601 duration of days, hours, "
            "minutes or seconds (e.g. 'PT5M', 'PT1H', 'P1D')"
        )
    parts = {k: float(v) if v else 0.0 for k, v in found.groupdict().items()}
    window = timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"])
    if not MIN_WINDOW <= window <= MAX_WINDOW:
        raise WindowError(
            f"autoPause.window {text!r} must be between {MIN_WINDOW} and {MAX_WINDOW.days} days"
        )
    return window


@dataclass(frozen=True)
class Verdict:
    pause: bool
    reason: str


def should_pause(rule: AutoPause, *, finished: int, failed: int) -> Verdict:
    """Pause when at least ``minRuns`` runs ended in the window and the share that
    FAILED reached ``failureRate``; the reason names the rate."""
    rate = failed / finished if finished else 0.0
    reason = (
        f"auto-pause: {failed} of {finished} runs failed in the last {rule.window} "
        f"(failure rate {rate:.0%} >= {rule.failure_rate:.0%}, at least {rule.min_runs} runs)"
    )
    return Verdict(finished >= rule.min_runs and rate >= rule.failure_rate, reason)
