-- The scheduler's backlog gauges (issue 19, sluice_waits_open{kind}): open waits
-- counted by kind every few seconds read only the open ones, however many waits
-- history holds (the other open-wait indexes cover event waits and timed waits only).
CREATE INDEX run_waits_open_by_kind ON run_waits (kind) WHERE status = 'OPEN';
