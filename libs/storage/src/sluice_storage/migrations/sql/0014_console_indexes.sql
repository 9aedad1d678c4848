-- Indexes for the operations console (issue 13).
-- The run list's filters (GET /workflow-runs, the console's run list): every filter
-- has an index in list order (started_at, run_id), so a page reads ~limit rows at
-- 100k+ runs. 0002 covers start time, status and workflow + version.
-- Workflow without a version (the 0002 index is ordered by version first):
CREATE INDEX workflow_runs_by_workflow_start
    ON workflow_runs (tenant_id, workflow_id, started_at DESC, run_id DESC);
-- Search by correlation key (only event-started runs carry one):
CREATE INDEX workflow_runs_by_correlation
    ON workflow_runs (tenant_id, correlation_key, started_at DESC, run_id DESC)
    WHERE correlation_key IS NOT NULL;
-- Trigger (api / event / child): the expression is sluice_storage.runs.TRIGGER_SQL,
-- the same expression (the planner only uses an expression index for a query that
-- spells the same expression).
CREATE INDEX workflow_runs_by_trigger
    ON workflow_runs (tenant_id,
        (CASE WHEN parent_run_id IS NOT NULL THEN 'child'
              WHEN trigger_event_id IS NOT NULL THEN 'event' ELSE 'api' END),
        started_at DESC, run_id DESC);
-- The runs that touched a ticket (GET /tickets/{ticketId}/runs): help-desk actions
-- answer with the ticketId; only those invocations are in the index.
CREATE INDEX action_invocations_by_ticket
    ON action_invocations (tenant_id, (output->>'ticketId'), started_at DESC, invocation_id DESC)
    WHERE output ? 'ticketId';
-- A ticket's outbound mail (GET /outbound-emails?ticketId=...).
CREATE INDEX helpdesk_outbound_by_ticket
    ON helpdesk_outbound_emails (tenant_id, ticket_id, created_at DESC, outbound_email_id DESC)
    WHERE ticket_id IS NOT NULL;
