import { useMemo, useState } from "react";
import { StatusBadge } from "@/components";
import { formatDateTime } from "@/lib/format";
import type { StepAttempt, Wait } from "./api";

interface Row {
  key: string;
  at: string;
  kind: "step" | "wait";
  stepId: string | null;
  path: string;
  status: string;
  what: string;
  duration: string;
}

function depth(path: string): number {
  return Math.max(0, (path.match(/steps\[/g) ?? []).length - 1);
}

function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return value < 1000 ? `${value} ms` : `${(value / 1000).toFixed(1)} s`;
}

function waitText(wait: Wait): string {
  const due = wait.dueAt ? `, times out ${formatDateTime(wait.dueAt)}` : "";
  if (wait.kind === "retry") return `retry scheduled for ${formatDateTime(wait.dueAt)}`;
  if (wait.eventName) return `waits for ${wait.eventName} (key ${wait.correlationKey ?? "—"})${due}`;
  return `waits (${wait.kind})${due}`;
}

/** Step attempts and waits in time order, indented by nesting; a block's rows fold
 * under it; filter by kind and status. */
export function Timeline({ attempts, waits, blocks, onSelect }: { attempts: StepAttempt[]; waits: Wait[]; blocks: Set<string>; onSelect: (stepId: string) => void }) {
  const [kind, setKind] = useState<"all" | "step" | "wait">("all");
  const [status, setStatus] = useState("all");
  const [folded, setFolded] = useState<Set<string>>(new Set());
  const rows = useMemo<Row[]>(() => {
    const out: Row[] = attempts.map((a) => ({
      key: `s-${a.nodePath}-${a.attempt}-${a.startedAt}`,
      at: a.startedAt,
      kind: "step",
      stepId: a.stepId,
      path: a.nodePath,
      status: a.status,
      what: `${a.stepId} attempt ${a.attempt}${a.error ? `: ${String((a.error as { message?: string }).message ?? "")}` : ""}`,
      duration: ms(a.durationMs),
    }));
    for (const w of waits) {
      out.push({ key: `w-${w.waitId}`, at: w.createdAt, kind: "wait", stepId: w.stepId ?? null, path: w.nodePath ?? "", status: w.status, what: waitText(w), duration: w.resolvedAt ? ms(new Date(w.resolvedAt).getTime() - new Date(w.createdAt).getTime()) : "—" });
    }
    return out.sort((x, y) => x.at.localeCompare(y.at));
  }, [attempts, waits]);
  const statuses = [...new Set(rows.map((r) => r.status))].sort();
  const hidden = (row: Row) => [...folded].some((block) => row.path !== block && row.path.startsWith(`${block}.`));
  const shown = rows.filter((r) => (kind === "all" || r.kind === kind) && (status === "all" || r.status === status) && !hidden(r));
  const fold = (path: string) => {
    const next = new Set(folded);
    if (next.has(path)) next.delete(path);
    else next.add(path);
    setFolded(next);
  };
  return (
    <section aria-label="Timeline" className="timeline">
      <div className="toolbar">
        <label className="field field-inline">
          Show
          <select value={kind} onChange={(e) => setKind(e.target.value as typeof kind)}>
            <option value="all">steps and waits</option>
            <option value="step">steps</option>
            <option value="wait">waits</option>
          </select>
        </label>
        <label className="field field-inline">
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="all">any</option>
            {statuses.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
      </div>
      <table className="table table-compact" aria-label="Step attempts and waits">
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">What</th>
            <th scope="col">Status</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((row) => (
            <tr key={row.key}>
              <td title={row.at}>{formatDateTime(row.at)}</td>
              <td style={{ paddingLeft: `${0.5 + depth(row.path) * 1.25}rem` }}>
                {row.kind === "step" && blocks.has(row.path) ? (
                  <button type="button" className="btn btn-ghost btn-sm" aria-expanded={!folded.has(row.path)} aria-label={`${folded.has(row.path) ? "Expand" : "Collapse"} ${row.stepId ?? row.path}`} onClick={() => fold(row.path)}>
                    {folded.has(row.path) ? "▸" : "▾"}
                  </button>
                ) : null}
                {row.stepId ? (
                  <button type="button" className="link-button" onClick={() => onSelect(row.stepId ?? "")}>
                    {row.what}
                  </button>
                ) : (
                  row.what
                )}
                <span className="muted mono"> {row.path}</span>
              </td>
              <td>
                <StatusBadge status={row.status} />
              </td>
              <td>{row.duration}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown.length === 0 ? <p className="muted">Nothing to show with these filters.</p> : null}
    </section>
  );
}
