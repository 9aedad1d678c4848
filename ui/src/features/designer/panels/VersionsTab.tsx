import { useState } from "react";
import { Badge, ProblemAlert, Spinner } from "@/components";
import { formatDateTime } from "@/lib/format";
import { useVersion, useVersions } from "../api";
import { type DefinitionDiff, diffDefinitions, type StepChange } from "../model/diff";
import type { Definition, Json } from "../model/types";

type Pick = number | "draft";

/** Published versions (who, when) and a step-by-step diff of any two of them, or of the
 * draft against a version. */
export function VersionsTab({ id, latest, draft }: { id: string; latest: number | null | undefined; draft: Definition }) {
  const versions = useVersions(id, latest);
  const [left, setLeft] = useState<Pick | null>(latest && latest > 1 ? latest - 1 : latest ?? null);
  const [right, setRight] = useState<Pick>(latest ? (latest > 1 ? latest : "draft") : "draft");
  const a = useVersion(id, left === "draft" ? null : left);
  const b = useVersion(id, right === "draft" ? null : right);
  const docA = left === "draft" ? draft : (a.data?.definition as Definition | undefined);
  const docB = right === "draft" ? draft : (b.data?.definition as Definition | undefined);
  const options: Pick[] = ["draft", ...(latest ? Array.from({ length: latest }, (_, i) => latest - i) : [])];
  const name = (p: Pick) => (p === "draft" ? "Draft" : `Version ${p}`);
  return (
    <div className="versions">
      <section aria-label="Published versions" className="versions-list">
        <h2 className="panel-title">Published versions</h2>
        {!latest ? <p className="muted">Nothing published yet.</p> : null}
        <table className="table compact">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Published by</th>
              <th scope="col">When</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((q, i) => {
              const n = latest! - i;
              return (
                <tr key={n}>
                  <td>
                    v{n} {i === 0 ? <Badge tone="success">latest</Badge> : null}
                  </td>
                  <td>{q.data?.publishedBy ?? (q.isPending ? "…" : "—")}</td>
                  <td>{q.data ? formatDateTime(q.data.publishedAt) : q.error ? <ProblemAlert error={q.error} /> : "…"}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
      <section aria-label="Compare versions" className="versions-diff">
        <h2 className="panel-title">Compare</h2>
        <div className="compare-pickers">
          <label className="field">
            <span className="field-label">From</span>
            <select aria-label="Compare from" value={left === null ? "" : String(left)} onChange={(e) => setLeft(e.target.value === "draft" ? "draft" : e.target.value ? Number(e.target.value) : null)}>
              {options.map((o) => (
                <option key={String(o)} value={String(o)}>
                  {name(o)}
                </option>
              ))}
            </select>
          </label>
          <span aria-hidden="true">→</span>
          <label className="field">
            <span className="field-label">To</span>
            <select aria-label="Compare to" value={String(right)} onChange={(e) => setRight(e.target.value === "draft" ? "draft" : Number(e.target.value))}>
              {options.map((o) => (
                <option key={String(o)} value={String(o)}>
                  {name(o)}
                </option>
              ))}
            </select>
          </label>
        </div>
        <ProblemAlert error={a.error ?? b.error} title="Could not load a version" />
        {left === null ? <p className="muted">Publish a version to compare against.</p> : !docA || !docB ? <Spinner label="Loading versions" /> : <DiffView diff={diffDefinitions(docA, docB)} left={name(left)} right={name(right)} />}
      </section>
    </div>
  );
}

function show(value: Json | undefined): string {
  return value === undefined ? "—" : JSON.stringify(value, null, 2);
}

const TONE: Record<StepChange["kind"], "success" | "danger" | "warning" | "info"> = { added: "success", removed: "danger", changed: "warning", moved: "info" };

export function DiffView({ diff, left, right }: { diff: DefinitionDiff; left: string; right: string }) {
  if (diff.document.length === 0 && diff.steps.length === 0) return <p className="muted" role="status">{left} and {right} are the same.</p>;
  return (
    <div className="diff" aria-label={`Changes from ${left} to ${right}`} role="region">
      <p className="small muted" role="status">
        {diff.steps.length} step change{diff.steps.length === 1 ? "" : "s"}, {diff.document.length} workflow field change{diff.document.length === 1 ? "" : "s"}
      </p>
      {diff.document.map((d) => (
        <div key={d.key} className="diff-row">
          <div className="diff-head">
            <Badge tone="warning">changed</Badge> <span className="mono">{d.key}</span>
          </div>
          <div className="diff-sides">
            <pre aria-label={`${d.key} in ${left}`}>{show(d.before)}</pre>
            <pre aria-label={`${d.key} in ${right}`}>{show(d.after)}</pre>
          </div>
        </div>
      ))}
      {diff.steps.map((c) => (
        <div key={`${c.kind}-${c.id}`} className={`diff-row diff-${c.kind}`}>
          <div className="diff-head">
            <Badge tone={TONE[c.kind]}>{c.kind}</Badge> <span className="mono">{c.id}</span> <span className="muted small">{c.type}</span>
            <span className="muted small mono">{c.kind === "moved" ? `${c.from} → ${c.path}` : c.path}</span>
          </div>
          {c.kind === "changed" ? (
            <div className="diff-sides">
              <div>
                <div className="diff-side-label">{left}</div>
                {c.fields.map((f) => (
                  <pre key={f}>
                    <span className="diff-field">{f}</span>: {show((c.before as Record<string, Json>)[f])}
                  </pre>
                ))}
              </div>
              <div>
                <div className="diff-side-label">{right}</div>
                {c.fields.map((f) => (
                  <pre key={f}>
                    <span className="diff-field">{f}</span>: {show((c.after as Record<string, Json>)[f])}
                  </pre>
                ))}
              </div>
            </div>
          ) : null}
        </div>
      ))}
    </div>
  );
}
