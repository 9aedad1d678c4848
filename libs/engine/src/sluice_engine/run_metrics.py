"""Run, step and action metrics of committed work, for every process that runs the engine.

The engine reports what a transaction did through ``sluice_storage.after_commit``,
so each run start, run end, step attempt and action outcome is counted once, by
the process that committed it (the API for synchronous starts and controls, the
interpreter for everything it advances, the executor for actions): Prometheus
sums the processes. ``RunMetrics`` registers the metric families on the
service's registry; ``EngineContext.metrics`` is ``None`` where nobody scrapes.

Labels stay bounded: tenant and workflow come from the data, so after
``MAX_WORKFLOW_SERIES`` distinct (tenant, workflow) pairs in one process further
pairs are counted under ``_other``; node types and action ids come from the
registry (a fixed set), error categories and statuses are enums.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram

MAX_WORKFLOW_SERIES = 200
OTHER = "_other"
# Seconds: a run is from milliseconds (pure steps) to days (waits for people).
RUN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400, 604800)
STEP_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


@dataclass
class BoundedPairs:
    """The first ``limit`` (tenant, workflow) pairs keep their names; the rest are ``_other``."""

    limit: int = MAX_WORKFLOW_SERIES
    seen: set[tuple[str, str]] = field(default_factory=set)

    def __call__(self, tenant_id: str, workflow_id: str) -> tuple[str, str]:
        pair = (tenant_id, workflow_id)
        if pair in self.seen:
            return pair
        if len(self.seen) < self.limit:
            self.seen.add(pair)
            return pair
        return (OTHER, OTHER)


@dataclass
class RunMetrics:
    """The metric families of issue 19's contract (names are the interface: extend them)."""

    registry: CollectorRegistry
    labels: BoundedPairs = field(default_factory=BoundedPairs)

    def __post_init__(self) -> None:
        per_workflow = ["tenant", "workflow"]
        self.runs_started = Counter(
            "sluice_runs_started_total", "Runs started", per_workflow, registry=self.registry
        )
        self.runs_completed = Counter(
            "sluice_runs_completed_total", "Runs that reached a final status",
            [*per_workflow, "status"], registry=self.registry,
        )  # fmt: skip
        self.run_duration = Histogram(
            "sluice_run_duration_seconds", "Start to final status", per_workflow,
            buckets=RUN_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.step_duration = Histogram(
            "sluice_step_duration_seconds", "One step attempt, start to its outcome",
            ["node_type", "status"], buckets=STEP_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.step_retries = Counter(
            "sluice_step_retries_total", "Step attempts after the first (retries)",
            [*per_workflow, "node_type"], registry=self.registry,
        )  # fmt: skip
        self.action_duration = Histogram(
            "sluice_action_duration_seconds", "One action invocation, claim to outcome",
            ["action"], buckets=STEP_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.runs_held = Counter(
            "sluice_runs_held_total", "Starts a concurrency limit did not begin at once, by "
            "what became of them (QUEUE, CANCEL, FAIL)", [*per_workflow, "admission"],
            registry=self.registry,
        )  # fmt: skip
        self.auto_paused = Counter(
            "sluice_workflows_auto_paused_total", "Workflows paused by their autoPause rule",
            per_workflow, registry=self.registry,
        )  # fmt: skip
        self.action_errors = Counter(
            "sluice_action_errors_total", "Action invocations that failed",
            ["action", "category"], registry=self.registry,
        )  # fmt: skip

    def run_started(self, tenant_id: str, workflow_id: str) -> None:
        self.runs_started.labels(*self.labels(tenant_id, workflow_id)).inc()

    def run_held(self, tenant_id: str, workflow_id: str, admission: str) -> None:
        self.runs_held.labels(*self.labels(tenant_id, workflow_id), admission).inc()

    def workflow_auto_paused(self, tenant_id: str, workflow_id: str) -> None:
        self.auto_paused.labels(*self.labels(tenant_id, workflow_id)).inc()

    def run_completed(
        self, tenant_id: str, workflow_id: str, status: str, duration_s: float
    ) -> None:
        pair = self.labels(tenant_id, workflow_id)
        self.runs_completed.labels(*pair, status).inc()
        self.run_duration.labels(*pair).observe(max(0.0, duration_s))

    def step_finished(self, node_type: str, status: str, duration_s: float) -> None:
        self.step_duration.labels(node_type, status).observe(max(0.0, duration_s))

    def step_retried(self, tenant_id: str, workflow_id: str, node_type: str) -> None:
        self.step_retries.labels(*self.labels(tenant_id, workflow_id), node_type).inc()

    def action_finished(self, action_id: str, duration_s: float, category: str | None) -> None:
        self.action_duration.labels(action_id).observe(max(0.0, duration_s))
        if category is not None:
            self.action_errors.labels(action_id, category).inc()
