"""Runs in memory, without a shell: the run loop and shadow runs (pure, no I/O, no clock).

- ``Simulation``: ``advance`` driven by a responder in virtual time (``driver``).
- ``ShadowRun``: a past run's payload replayed through a draft, every answer
  taken from the past run's recording (``shadow``, ``recording``), the two
  ends compared (``outcome``).
"""

from workflow_core.simulation.driver import DEFAULT_MAX_COMMANDS, Reply, Responder, Simulation, Step
from workflow_core.simulation.outcome import (
    REFUSED,
    Change,
    Outcome,
    diff_envelopes,
    outcome_changed,
)
from workflow_core.simulation.recording import (
    RecordedChild,
    RecordedInvocation,
    RecordedWait,
    RunRecording,
)
from workflow_core.simulation.shadow import (
    ActionCallReport,
    Answer,
    ShadowResult,
    ShadowRun,
    UnusedRecording,
    WaitReport,
)

__all__ = [
    "DEFAULT_MAX_COMMANDS",
    "REFUSED",
    "ActionCallReport",
    "Answer",
    "Change",
    "Outcome",
    "RecordedChild",
    "RecordedInvocation",
    "RecordedWait",
    "Reply",
    "Responder",
    "RunRecording",
    "ShadowResult",
    "ShadowRun",
    "Simulation",
    "Step",
    "UnusedRecording",
    "WaitReport",
    "diff_envelopes",
    "outcome_changed",
]
