-- Indexes for lists the REST API offers: a run's inbound events (the events
-- that resumed it; the starting one is the run's trigger_event_id).
CREATE INDEX events_resumed_run ON events (tenant_id, resumed_run_id, received_at, event_id)
    WHERE resumed_run_id IS NOT NULL;
