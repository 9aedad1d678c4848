import { ProblemAlert } from "@/components";
import { formatDateTime } from "@/lib/format";
import { useRunAudit } from "./api";

/** What operators did to the run and why (GET /audit-events?target=<run>). */
export function AuditList({ runId }: { runId: string }) {
  const audit = useRunAudit(runId);
  return (
    <section aria-label="Audit" className="audit">
      <h2>Audit</h2>
      <ProblemAlert error={audit.error} title="Could not read the audit log" />
      {audit.data?.length === 0 ? <p className="muted">No operator has acted on this run.</p> : null}
      <ol className="audit-entries">
        {(audit.data ?? []).map((entry) => (
          <li key={entry.auditId}>
            <time dateTime={entry.at}>{formatDateTime(entry.at)}</time> <strong>{entry.action}</strong> by {entry.actor}
            {entry.role ? <span className="muted"> ({entry.role})</span> : null}: “{entry.reason}”
            {entry.details && (entry.details as { resultRunId?: string }).resultRunId && (entry.details as { resultRunId?: string }).resultRunId !== runId ? (
              <span> → new run {(entry.details as { resultRunId: string }).resultRunId.slice(0, 8)}</span>
            ) : null}
          </li>
        ))}
      </ol>
    </section>
  );
}
