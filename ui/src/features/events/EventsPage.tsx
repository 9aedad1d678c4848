import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link } from "react-router";
import { api, unwrap } from "@/api/client";
import { Button, EmptyState, JsonTree, PageHeader, ProblemAlert, Spinner } from "@/components";
import { allows, roleReason, useMe } from "@/lib/auth";
import { formatDateTime } from "@/lib/format";

const eventsKey = ["events"] as const;

/** Inbound events with the runs they started or resumed; unmatched ones with the
 * time a new wait would still take them; submit a test event. */
export function EventsPage() {
  const [name, setName] = useState("");
  const [matched, setMatched] = useState<"" | "true" | "false">("");
  const events = useQuery({
    queryKey: [...eventsKey, name, matched],
    queryFn: async () =>
      unwrap(
        await api.GET("/workflow/events", {
          params: { query: { limit: 100, ...(name ? { eventName: name } : {}), ...(matched ? { matched: matched === "true" } : {}) } },
        }),
      ).items,
  });
  const me = useMe();
  return (
    <section className="page events-page">
      <PageHeader title="Events" subtitle="Inbound events, newest first" />
      <div className="filters" role="search">
        <label className="field">
          Event name
          <input value={name} onChange={(e) => setName(e.target.value.trim())} />
        </label>
        <label className="field">
          Matched a wait
          <select value={matched} onChange={(e) => setMatched(e.target.value as typeof matched)}>
            <option value="">any</option>
            <option value="true">matched</option>
            <option value="false">unmatched</option>
          </select>
        </label>
      </div>
      <ProblemAlert error={events.error} title="Could not list events" />
      {events.isPending ? <Spinner label="Loading events" /> : null}
      {events.data?.length === 0 ? <EmptyState title="No events" /> : null}
      {events.data?.length ? (
        <table className="table" aria-label="Events">
          <thead>
            <tr>
              <th scope="col">Received</th>
              <th scope="col">Event</th>
              <th scope="col">Correlation key</th>
              <th scope="col">Started runs</th>
              <th scope="col">Resumed run</th>
              <th scope="col">Unmatched until</th>
              <th scope="col">Payload</th>
            </tr>
          </thead>
          <tbody>
            {events.data.map((event) => (
              <tr key={event.eventId}>
                <td>{formatDateTime(event.receivedAt)}</td>
                <td>
                  <code>{event.eventName}</code> <span className="muted">{event.source}</span>
                </td>
                <td className="mono">{event.correlationKey}</td>
                <td>
                  {event.startedRunIds.length === 0
                    ? "—"
                    : event.startedRunIds.map((id) => (
                        <Link key={id} to={`/runs/${id}`} className="mono">
                          {id.slice(0, 8)}{" "}
                        </Link>
                      ))}
                </td>
                <td>{event.resumedRunId ? <Link to={`/runs/${event.resumedRunId}`}>{event.resumedRunId.slice(0, 8)}</Link> : "—"}</td>
                <td>{event.matched ? "matched" : formatDateTime(event.expiresAt)}</td>
                <td>
                  <details>
                    <summary>show</summary>
                    <JsonTree value={event.payload} label="Event payload" />
                  </details>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {allows(me.data, "workflow.manage") ? <SubmitEvent /> : <p className="muted">{roleReason(me.data, "workflow.manage", "Submitting events")}</p>}
    </section>
  );
}

function SubmitEvent() {
  const client = useQueryClient();
  const [eventName, setEventName] = useState("");
  const [correlationKey, setKey] = useState("");
  const [payload, setPayload] = useState("{}");
  const [jsonError, setJsonError] = useState<string | null>(null);
  const submit = useMutation({
    mutationFn: async (body: { eventName: string; correlationKey: string; payload: Record<string, unknown> }) =>
      unwrap(await api.POST("/workflow/events", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: eventsKey }),
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    try {
      const parsed = JSON.parse(payload) as Record<string, unknown>;
      setJsonError(null);
      submit.mutate({ eventName, correlationKey, payload: parsed });
    } catch (error) {
      setJsonError(`Payload: ${(error as Error).message}`);
    }
  };
  return (
    <form className="card" onSubmit={onSubmit} aria-label="Submit a test event">
      <h2>Submit a test event</h2>
      <label className="field">
        Name
        <input required value={eventName} onChange={(e) => setEventName(e.target.value)} />
      </label>
      <label className="field">
        Correlation key
        <input required value={correlationKey} onChange={(e) => setKey(e.target.value)} />
      </label>
      <label className="field">
        Payload (JSON)
        <textarea className="code" rows={4} value={payload} onChange={(e) => setPayload(e.target.value)} />
      </label>
      {jsonError ? <p role="alert" className="field-errors">{jsonError}</p> : null}
      <ProblemAlert error={submit.error} title="The event was refused" />
      {submit.data ? (
        <p role="status">
          Event {submit.data.eventId.slice(0, 8)}: started {submit.data.startedRunIds.length} run(s){submit.data.resumedRunId ? `, resumed ${submit.data.resumedRunId.slice(0, 8)}` : ""}.
        </p>
      ) : null}
      <Button type="submit" variant="primary" disabled={submit.isPending}>
        Submit event
      </Button>
    </form>
  );
}
