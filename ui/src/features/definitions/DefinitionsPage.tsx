import { type FormEvent, useMemo, useState } from "react";
import { Link, useNavigate } from "react-router";
import { Badge, Button, EmptyState, Modal, PageHeader, ProblemAlert, Spinner } from "@/components";
import { roleReason, useMe } from "@/lib/auth";
import { formatRelative } from "@/lib/format";
import { useCreateDefinition, useDefinitions } from "./api";

export function DefinitionsPage() {
  const list = useDefinitions();
  const me = useMe();
  const [query, setQuery] = useState("");
  const [creating, setCreating] = useState(false);
  const createReason = roleReason(me.data, "workflow.manage", "Creating a workflow");
  const rows = useMemo(() => {
    const q = query.trim().toLowerCase();
    return (list.data ?? []).filter((d) => !q || `${d.name} ${d.triggerEvent ?? ""} ${d.id}`.toLowerCase().includes(q));
  }, [list.data, query]);
  return (
    <div className="page">
      <PageHeader
        title="Workflows"
        subtitle="Definitions of this tenant: edit a draft, publish it as a new version."
        actions={
          <Button variant="primary" onClick={() => setCreating(true)} disabled={Boolean(createReason)} title={createReason ?? undefined}>
            New workflow
          </Button>
        }
      />
      {createReason ? <p className="muted small">{createReason}</p> : null}
      <div className="toolbar">
        <label className="search">
          <span className="sr-only">Search workflows</span>
          <input type="search" placeholder="Search by name, trigger or id" value={query} onChange={(e) => setQuery(e.target.value)} />
        </label>
        <span className="muted small" aria-live="polite">
          {list.data ? `${rows.length} of ${list.data.length}` : ""}
        </span>
      </div>
      <ProblemAlert error={list.error} title="Could not load the workflows" />
      {list.isPending ? <Spinner label="Loading workflows" /> : null}
      {list.data && list.data.length === 0 ? (
        <EmptyState title="No workflows yet">Create one, or seed the reference workflow with <code>sluice seed</code>.</EmptyState>
      ) : null}
      {rows.length > 0 ? (
        <div className="table-wrap">
          <table className="table">
            <caption className="sr-only">Workflow definitions</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Trigger</th>
                <th scope="col">Version</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr key={d.id}>
                  <td>
                    <Link to={`/definitions/${d.id}`} className="row-link">
                      {d.name}
                    </Link>
                    <div className="muted mono small">{d.id}</div>
                  </td>
                  <td>{d.triggerEvent ? <code>{d.triggerEvent}</code> : <span className="muted">API / sub-workflow</span>}</td>
                  <td>
                    {d.latestVersion ? <Badge tone="success">v{d.latestVersion} published</Badge> : <Badge tone="neutral">draft only</Badge>}
                    {d.paused ? (
                      <div className="small" title={d.paused.at}>
                        <Badge tone="warning">paused</Badge> <span className="muted">{d.paused.reason} ({d.paused.by})</span>
                      </div>
                    ) : null}
                  </td>
                  <td title={d.updatedAt}>{formatRelative(d.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <CreateDialog open={creating} onClose={() => setCreating(false)} />
    </div>
  );
}

function CreateDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const create = useCreateDefinition();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [eventName, setEventName] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(
      { name: name.trim(), ...(eventName.trim() ? { eventName: eventName.trim() } : {}) },
      { onSuccess: (created) => navigate(`/definitions/${created.id}`) },
    );
  };
  return (
    <Modal title="New workflow" open={open} onClose={onClose}>
      <form onSubmit={submit} className="stack">
        <label className="field">
          <span className="field-label">Name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} required autoFocus />
        </label>
        <label className="field">
          <span className="field-label">Trigger event (optional)</span>
          <input value={eventName} onChange={(e) => setEventName(e.target.value)} placeholder="e.g. INBOUND_EMAIL_RECEIVED" />
          <span className="field-help">Leave empty for a workflow started through the API or by another workflow.</span>
        </label>
        <ProblemAlert error={create.error} title="Could not create the workflow" />
        <div className="row-end">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={create.isPending || !name.trim()}>
            Create
          </Button>
        </div>
      </form>
    </Modal>
  );
}
