import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { api, unwrap } from "@/api/client";
import { Button, EmptyState, PageHeader, ProblemAlert, Spinner, StatusBadge } from "@/components";
import { allows, roleReason, useMe } from "@/lib/auth";
import { formatRelative } from "@/lib/format";
import { useRunUpdates } from "@/lib/liveUpdates";
import { keys } from "@/lib/queryKeys";
import { useQuery } from "@tanstack/react-query";
import { type BulkAction, type BulkTarget, type Run, STATUSES, TRIGGERS, useRunCounts, useRuns, useStartExport } from "./api";
import { BulkDialog } from "./BulkDialog";
import { LiveIndicator } from "./LiveIndicator";
import { RANGES, type Range, readFilters, withParams } from "./filters";

const BULK_ACTIONS = ["cancel", "resume", "retry", "replay"] as const;
const capital = (word: string) => word[0]?.toUpperCase() + word.slice(1);
const RANGE_LABELS: Record<Range, string> = { "1h": "Last hour", "24h": "Last 24 h", "7d": "Last 7 days" };

function useWorkflowNames() {
  return useQuery({
    queryKey: keys.definitions,
    queryFn: async () => unwrap(await api.GET("/workflow-definitions", { params: { query: { limit: 500 } } })).items,
    staleTime: 60_000,
  });
}

export function RunsPage() {
  const [params, setParams] = useSearchParams();
  const { filters, range, cursor } = readFilters(params);
  const runs = useRuns(filters, cursor);
  const counts = useRunCounts(filters);
  const workflows = useWorkflowNames();
  const me = useMe();
  const client = useQueryClient();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [bulk, setBulk] = useState<{ action: BulkAction; target: BulkTarget } | null>(null);
  const exporting = useStartExport();
  const navigate = useNavigate();
  const [search, setSearch] = useState(filters.q ?? "");

  // Live: any run of the tenant changing status refreshes the list and the counts
  // (at most once a second); while the stream is down, poll every 5 s.
  const pending = useRef<number | null>(null);
  const live = useRunUpdates(null, () => {
    if (pending.current !== null) return;
    pending.current = window.setTimeout(() => {
      pending.current = null;
      void client.invalidateQueries({ queryKey: keys.runs });
    }, 1000);
  });
  useEffect(() => {
    if (live !== "polling") return undefined;
    const timer = window.setInterval(() => void client.invalidateQueries({ queryKey: keys.runs }), 5000);
    return () => window.clearInterval(timer);
  }, [live, client]);

  const names = useMemo(() => new Map((workflows.data ?? []).map((w) => [w.id, w.name])), [workflows.data]);
  const items = runs.data?.items ?? [];
  const update = (changes: Record<string, string | string[] | null>) => {
    setSelected(new Set());
    setParams(withParams(params, changes));
  };
  const toggle = (list: readonly string[], value: string) => (list.includes(value) ? list.filter((v) => v !== value) : [...list, value]);
  const failedOnly = filters.status.length === 1 && filters.status[0] === "FAILED";
  const admin = allows(me.data, "workflow.admin");
  const onSearch = (event: FormEvent) => {
    event.preventDefault();
    update({ q: search.trim() || null });
  };

  return (
    <section className="page runs-page">
      <PageHeader title="Runs" subtitle="Every run of this tenant, newest first" actions={<LiveIndicator state={live} />} />
      <div className="chips" role="group" aria-label="Quick filters">
        {(Object.keys(RANGES) as Range[]).map((key) => (
          <button key={key} type="button" className="chip" aria-pressed={range === key} onClick={() => update({ range: range === key ? null : key, from: null, to: null })}>
            {RANGE_LABELS[key]}
          </button>
        ))}
        <button type="button" className="chip" aria-pressed={failedOnly} onClick={() => update({ status: failedOnly ? [] : ["FAILED"] })}>
          Failed only
        </button>
      </div>
      <form className="filters" onSubmit={onSearch} aria-label="Run filters">
        <fieldset className="filter-group">
          <legend>Status</legend>
          {STATUSES.map((status) => (
            <label key={status} className="check">
              <input type="checkbox" checked={filters.status.includes(status)} onChange={() => update({ status: toggle(filters.status, status) })} />
              {status} <span className="count">{counts.data?.totals[status] ?? 0}</span>
            </label>
          ))}
        </fieldset>
        <fieldset className="filter-group">
          <legend>Trigger</legend>
          {TRIGGERS.map((trigger) => (
            <label key={trigger} className="check">
              <input type="checkbox" checked={filters.trigger.includes(trigger)} onChange={() => update({ trigger: toggle(filters.trigger, trigger) })} />
              {trigger}
            </label>
          ))}
        </fieldset>
        <label className="field">
          Workflow
          <select value={filters.workflowId ?? ""} onChange={(e) => update({ workflowId: e.target.value || null, version: null })}>
            <option value="">All workflows</option>
            {(workflows.data ?? []).map((w) => (
              <option key={w.id} value={w.id}>
                {w.name || w.id}
              </option>
            ))}
          </select>
        </label>
        <label className="field field-narrow">
          Version
          <input type="number" min={1} value={filters.version ?? ""} onChange={(e) => update({ version: e.target.value || null })} />
        </label>
        <label className="field">
          Started from
          <input type="datetime-local" value={toLocal(range ? undefined : filters.from)} onChange={(e) => update({ from: fromLocal(e.target.value), range: null })} />
        </label>
        <label className="field">
          Started before
          <input type="datetime-local" value={toLocal(filters.to)} onChange={(e) => update({ to: fromLocal(e.target.value) })} />
        </label>
        <label className="field field-wide">
          Run id or correlation key
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="exact run id or correlation key" />
        </label>
        <Button type="submit" variant="primary">
          Search
        </Button>
        <Button onClick={() => (setSearch(""), setParams(new URLSearchParams()))}>Clear filters</Button>
      </form>
      <ProblemAlert error={runs.error} title="Could not list runs" />
      <ProblemAlert error={counts.error} title="Could not count runs" />
      {selected.size > 0 ? (
        <div className="bulk-bar" role="region" aria-label="Bulk actions">
          <span>{selected.size} selected</span>
          {BULK_ACTIONS.map((action) =>
            admin ? (
              <Button key={action} variant={action === "cancel" ? "danger" : "secondary"} onClick={() => setBulk({ action, target: { runIds: [...selected] } })}>
                {capital(action)} selected
              </Button>
            ) : null,
          )}
          {!admin ? <span className="muted">{roleReason(me.data, "workflow.admin", "Cancel, resume, retry and replay")}</span> : null}
          <Button variant="ghost" onClick={() => setSelected(new Set())}>
            Clear selection
          </Button>
        </div>
      ) : null}
      {selected.size === 0 && items.length > 0 ? (
        <div className="bulk-bar" role="region" aria-label="Every matching run">
          <span>Every run matching these filters:</span>
          {admin
            ? BULK_ACTIONS.map((action) => (
                <Button key={action} size="sm" variant="ghost" onClick={() => setBulk({ action, target: { filters } })}>
                  {capital(action)} all matching…
                </Button>
              ))
            : null}
          <Button size="sm" variant="ghost" disabled={exporting.isPending} onClick={() => exporting.mutate(filters, { onSuccess: () => void navigate("/operations") })}>
            Export all matching
          </Button>
          <ProblemAlert error={exporting.error} title="Could not start the export" />
        </div>
      ) : null}
      {runs.isPending ? <Spinner label="Loading runs" /> : null}
      {runs.data && items.length === 0 ? <EmptyState title="No runs match these filters" /> : null}
      {items.length > 0 ? (
        <table className="table" aria-label="Runs">
          <thead>
            <tr>
              <th scope="col">
                <input
                  type="checkbox"
                  aria-label="Select all runs on this page"
                  checked={items.every((r) => selected.has(r.runId))}
                  onChange={(e) => setSelected(e.target.checked ? new Set(items.map((r) => r.runId)) : new Set())}
                />
              </th>
              <th scope="col">Run</th>
              <th scope="col">Workflow</th>
              <th scope="col">Status</th>
              <th scope="col">State</th>
              <th scope="col">Trigger</th>
              <th scope="col">Correlation key</th>
              <th scope="col">Started</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {items.map((run) => (
              <RunRow key={run.runId} run={run} name={names.get(run.workflowId)} checked={selected.has(run.runId)} onCheck={(on) => {
                const next = new Set(selected);
                if (on) next.add(run.runId);
                else next.delete(run.runId);
                setSelected(next);
              }} />
            ))}
          </tbody>
        </table>
      ) : null}
      <nav className="pager" aria-label="Pages">
        <Button disabled={!cursor} onClick={() => update({})}>
          First page
        </Button>
        <Button disabled={!runs.data?.nextCursor} onClick={() => setParams(withParams(params, { cursor: runs.data?.nextCursor ?? null }))}>
          Next page
        </Button>
      </nav>
      {bulk ? <BulkDialog action={bulk.action} target={bulk.target} onClose={() => setBulk(null)} /> : null}
    </section>
  );
}

function RunRow({ run, name, checked, onCheck }: { run: Run; name: string | undefined; checked: boolean; onCheck: (on: boolean) => void }) {
  return (
    <tr>
      <td>
        <input type="checkbox" aria-label={`Select run ${run.runId}`} checked={checked} onChange={(e) => onCheck(e.target.checked)} />
      </td>
      <td>
        <Link to={`/runs/${run.runId}`} className="mono">
          {run.runId.slice(0, 8)}
        </Link>
      </td>
      <td>
        {name ?? run.workflowId.slice(0, 8)} <span className="muted">v{run.workflowVersion}</span>
      </td>
      <td>
        <StatusBadge status={run.status} />
      </td>
      <td>{run.state ?? "—"}</td>
      <td>{run.trigger}</td>
      <td className="mono">{run.correlationKey ?? "—"}</td>
      <td title={run.startedAt}>{formatRelative(run.startedAt)}</td>
      <td title={run.updatedAt}>{formatRelative(run.updatedAt)}</td>
    </tr>
  );
}

function toLocal(iso: string | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

function fromLocal(value: string): string | null {
  return value ? new Date(value).toISOString() : null;
}
