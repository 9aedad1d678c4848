import { useState } from "react";
import { JsonTree, StatusBadge, Tabs } from "@/components";
import type { Invocation, LogEntry, Snapshot, StepAttempt } from "./api";
import { LogsView } from "./LogsView";

type Tab = "payload" | "vars" | "meta" | "error";

function size(value: unknown): string {
  if (value === null || value === undefined) return "—";
  const bytes = new TextEncoder().encode(JSON.stringify(value)).length;
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}

function truncated(value: unknown): boolean {
  return JSON.stringify(value ?? null).includes('"$truncated":true');
}

/** The envelope after the step's last attempt: its own snapshot, or the one the run
 * wrote where it ended (a failed step has no snapshot of its own; the run's final
 * snapshot at its node path carries the error). */
export function stepSnapshot(snapshots: Snapshot[], attempts: StepAttempt[]): Snapshot | undefined {
  const paths = new Set(attempts.map((a) => a.nodePath));
  const stepId = attempts[0]?.stepId;
  return snapshots.filter((s) => (stepId !== undefined && s.stepId === stepId) || (s.stepId == null && paths.has(s.nodePath))).at(-1);
}

/** One step: its redacted snapshot (payload / vars / meta / error as JSON trees), its
 * action invocations and its logs. */
export function StepPanel({
  runId,
  stepId,
  attempts,
  snapshots,
  invocations,
  logs,
}: {
  runId: string;
  stepId: string;
  attempts: StepAttempt[];
  snapshots: Snapshot[];
  invocations: Invocation[];
  logs: LogEntry[];
}) {
  const [tab, setTab] = useState<Tab>("payload");
  const mine = attempts.filter((a) => a.stepId === stepId);
  const last = mine.at(-1);
  const snapshot = stepSnapshot(snapshots, mine);
  const envelope = (snapshot?.envelope ?? {}) as Record<string, unknown>;
  const error = envelope.error ?? last?.error ?? null;
  const values: Record<Tab, unknown> = { payload: envelope.payload ?? null, vars: envelope.vars ?? null, meta: envelope.meta ?? null, error };
  const calls = invocations.filter((i) => i.stepId === stepId);
  return (
    <section className="step-panel" aria-label={`Step ${stepId}`}>
      <h2>
        Step <code>{stepId}</code> {last ? <StatusBadge status={last.status} /> : null}
        <span className="muted"> {mine.length} attempt{mine.length === 1 ? "" : "s"}</span>
      </h2>
      {snapshot ? null : <p className="muted">No snapshot after this step (it has not finished an attempt).</p>}
      <Tabs
        label="Snapshot"
        value={tab}
        onChange={(id) => setTab(id as Tab)}
        tabs={[
          { id: "payload", label: "Payload" },
          { id: "vars", label: "Vars" },
          { id: "meta", label: "Meta" },
          { id: "error", label: error ? "Error ●" : "Error" },
        ]}
      />
      <div role="tabpanel" aria-label={`${tab} of step ${stepId}`}>
        {tab === "error" && error && typeof error === "object" ? (
          <p className="step-error">
            <strong>{String((error as { category?: string }).category ?? "Error")}</strong>: {String((error as { message?: string }).message ?? "")}
          </p>
        ) : null}
        <JsonTree value={values[tab]} label={`${tab[0]?.toUpperCase()}${tab.slice(1)} (redacted)`} />
      </div>
      <h3>Invocations</h3>
      {calls.length === 0 ? (
        <p className="muted">This step called no action.</p>
      ) : (
        <ul className="invocations">
          {calls.map((call) => (
            <li key={call.invocationId}>
              <details>
                <summary>
                  <code>
                    {call.actionId} v{call.actionVersion}
                  </code>{" "}
                  <StatusBadge status={call.status} /> attempt {call.attempt} · {call.durationMs ?? "—"} ms · input {size(call.input)} · output {size(call.output)}
                  {truncated(call.input) || truncated(call.output) ? <span className="badge badge-warning"> truncated</span> : null}
                </summary>
                <p>
                  Idempotency key <code>{call.idempotencyKey}</code>
                </p>
                <JsonTree value={call.input} label="Input" openDepth={1} />
                <JsonTree value={call.output} label="Output" openDepth={1} />
                {call.error ? <JsonTree value={call.error} label="Invocation error" openDepth={1} /> : null}
              </details>
            </li>
          ))}
        </ul>
      )}
      <h3>Logs of this step</h3>
      <LogsView logs={logs.filter((l) => l.stepId === stepId)} runId={runId} />
    </section>
  );
}
