-- Concurrency limits (issue 19): a run of a limited workflow carries its key
-- (``concurrency_key``, '' for the whole workflow); a start past the limit is a
-- QUEUED run, numbered in arrival order (``queue_seq``, drawn while the start
-- holds its key's lock, so the numbers follow the lock order).
ALTER TABLE workflow_runs DROP CONSTRAINT workflow_runs_status_check;
ALTER TABLE workflow_runs ADD CONSTRAINT workflow_runs_status_check CHECK (status IN
    ('QUEUED', 'RUNNING', 'WAITING', 'SUCCEEDED', 'FAILED', 'CANCELED'));
ALTER TABLE workflow_runs
    ADD COLUMN concurrency_key text,
    ADD COLUMN queue_seq bigint;
CREATE SEQUENCE workflow_runs_queue_seq;

-- The slot count of one key, under its lock: the runs in flight.
CREATE INDEX workflow_runs_in_flight_by_key
    ON workflow_runs (tenant_id, workflow_id, concurrency_key)
    WHERE concurrency_key IS NOT NULL AND status IN ('RUNNING', 'WAITING');
-- The queue of one key, oldest first; also the scheduler's sweep and the queued gauge.
CREATE INDEX workflow_runs_queued
    ON workflow_runs (tenant_id, workflow_id, concurrency_key, queue_seq)
    WHERE status = 'QUEUED';
-- Auto-pause: a workflow's completions in a window.
CREATE INDEX workflow_runs_completed_by_workflow
    ON workflow_runs (tenant_id, workflow_id, completed_at)
    WHERE completed_at IS NOT NULL;

-- Auto-pause counts a workflow's failures since its last unpause at the earliest (an
-- unpaused workflow starts afresh, not paused again by the failures that paused it).
ALTER TABLE workflow_definitions ADD COLUMN unpaused_at timestamptz;
