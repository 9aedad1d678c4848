import { ProblemAlert } from "@/components";
import { formatDateTime } from "@/lib/format";
import { type SideEffect, useRunSideEffects } from "./api";

const EXECUTION: Record<SideEffect["execution"], string> = {
  EXECUTED: "executed",
  EXECUTED_AGAIN: "executed again",
  REUSED: "reused",
};

/** Every side-effectful call of the run with its idempotency key: executed once, executed
 * again (a retry), or reused from another run's stored result (GET .../side-effects). */
export function SideEffectList({ runId, poll }: { runId: string; poll: number | false }) {
  const ledger = useRunSideEffects(runId, poll);
  return (
    <section aria-label="Side effects" className="side-effects">
      <h2>Side effects</h2>
      <ProblemAlert error={ledger.error} title="Could not read the side-effect ledger" />
      {ledger.data?.length === 0 ? <p className="muted">This run made no side-effectful call.</p> : null}
      {ledger.data?.length ? (
        <table className="table" aria-label="Side-effect ledger">
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">Action</th>
              <th scope="col">Idempotency key</th>
              <th scope="col">Runs of the handler</th>
              <th scope="col">Outcome</th>
              <th scope="col">Execution</th>
              <th scope="col">Started</th>
            </tr>
          </thead>
          <tbody>
            {ledger.data.map((entry) => (
              <tr key={entry.invocationId}>
                <td>{entry.stepId ?? "—"}</td>
                <td>
                  {entry.actionId} v{entry.actionVersion}
                </td>
                <td>
                  <code>{entry.idempotencyKey}</code>
                </td>
                <td>{entry.attempt}</td>
                <td>{entry.status}</td>
                <td>
                  {EXECUTION[entry.execution]}
                  {entry.execution === "REUSED" && entry.executedByRunId ? (
                    <span className="muted"> (from run {entry.executedByRunId.slice(0, 8)})</span>
                  ) : null}
                </td>
                <td>
                  <time dateTime={entry.startedAt}>{formatDateTime(entry.startedAt)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
