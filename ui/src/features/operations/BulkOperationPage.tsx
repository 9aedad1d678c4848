import { useState } from "react";
import { Link, useParams } from "react-router";
import { Button, PageHeader, ProblemAlert, Spinner } from "@/components";
import { formatDateTime } from "@/lib/format";
import { useBulkOperation, useOutcomes } from "./api";
import { Progress } from "./Progress";

const SHOW: { label: string; ok: boolean | undefined }[] = [
  { label: "All runs", ok: undefined },
  { label: "Refused", ok: false },
  { label: "Done", ok: true },
];

/** One bulk operation: what was asked, its progress (live until COMPLETED) and every
 * run's outcome, a page at a time. */
export function BulkOperationPage() {
  const { id = "" } = useParams();
  const operation = useBulkOperation(id);
  const [ok, setOk] = useState<boolean | undefined>(undefined);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const outcomes = useOutcomes(id, ok, cursor, operation.data);
  const op = operation.data;
  return (
    <section className="page operation-page">
      <PageHeader title={op ? `Bulk ${op.action}` : "Bulk operation"} subtitle={op ? `by ${op.createdBy}, ${formatDateTime(op.createdAt)}` : undefined} />
      <ProblemAlert error={operation.error} title="Could not read the operation" />
      {operation.isPending ? <Spinner label="Loading the operation" /> : null}
      {op ? (
        <>
          <p className="reason">Reason: {op.reason}</p>
          <Progress operation={op} />
          <details>
            <summary>Request</summary>
            <pre>{JSON.stringify(op.request, null, 2)}</pre>
          </details>
          <div className="chips" role="group" aria-label="Show">
            {SHOW.map((choice) => (
              <Button key={choice.label} size="sm" variant={choice.ok === ok ? "primary" : "ghost"} aria-pressed={choice.ok === ok} onClick={() => (setOk(choice.ok), setCursors([null]))}>
                {choice.label}
              </Button>
            ))}
          </div>
          <ProblemAlert error={outcomes.error} title="Could not list the outcomes" />
          <table className="table" aria-label="Outcomes">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Run</th>
                <th scope="col">Outcome</th>
                <th scope="col">Status after</th>
                <th scope="col">New run</th>
              </tr>
            </thead>
            <tbody>
              {(outcomes.data?.items ?? []).map((item) => (
                <tr key={item.seq}>
                  <td>{item.seq}</td>
                  <td>
                    <Link to={`/runs/${item.runId}`}>
                      <code>{item.runId.slice(0, 8)}</code>
                    </Link>
                  </td>
                  <td>{!item.done ? "pending" : item.ok ? "done" : `${item.code ?? "refused"}: ${item.detail ?? ""}`}</td>
                  <td>{item.runStatus ?? "—"}</td>
                  <td>
                    {item.resultRunId ? (
                      <Link to={`/runs/${item.resultRunId}`}>
                        <code>{item.resultRunId.slice(0, 8)}</code>
                      </Link>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav className="pager" aria-label="Pages">
            <Button disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
              Previous page
            </Button>
            <Button disabled={!outcomes.data?.nextCursor} onClick={() => setCursors([...cursors, outcomes.data?.nextCursor ?? null])}>
              Next page
            </Button>
          </nav>
        </>
      ) : null}
    </section>
  );
}
