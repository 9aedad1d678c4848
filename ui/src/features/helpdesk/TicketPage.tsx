import { useState } from "react";
import { Link, useParams } from "react-router";
import { Badge, Button, PageHeader, ProblemAlert, Spinner, StatusBadge } from "@/components";
import { formatDateTime } from "@/lib/format";
import { getToken } from "@/lib/session";
import { useTicket } from "./api";
import { Blocks } from "./Blocks";

/** Attachments are always downloaded, never shown inline (they come from strangers'
 * mail); fetched with the bearer token, then saved from a blob URL. */
async function download(ticketId: string, attachmentId: string, name: string): Promise<void> {
  const response = await fetch(`/tickets/${ticketId}/attachments/${attachmentId}/content`, { headers: { Authorization: `Bearer ${getToken() ?? ""}` } });
  if (!response.ok) throw new Error(`download answered ${response.status}`);
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

export function TicketPage() {
  const { ticketId = "" } = useParams();
  const { ticket, comments, attachments, runs, mail } = useTicket(ticketId);
  const [downloadError, setDownloadError] = useState<unknown>(null);
  if (ticket.isPending) return <Spinner label="Loading the ticket" />;
  if (!ticket.data) return <ProblemAlert error={ticket.error} title="Could not load the ticket" />;
  const t = ticket.data;
  return (
    <section className="page ticket-page">
      <PageHeader title={`${t.ticketNumber}: ${t.title}`} subtitle={<Link to="/tickets">all tickets</Link>} />
      <dl className="facts" aria-label="Ticket">
        <div className="fact">
          <dt>Status</dt>
          <dd>{t.status ?? "—"}</dd>
        </div>
        <div className="fact">
          <dt>Priority</dt>
          <dd>{t.priority ?? "—"}</dd>
        </div>
        <div className="fact">
          <dt>Board</dt>
          <dd>{t.board ?? "—"}</dd>
        </div>
        <div className="fact">
          <dt>Created</dt>
          <dd>{formatDateTime(t.createdAt)}</dd>
        </div>
      </dl>
      {t.description ? <p className="ticket-description">{t.description}</p> : null}
      <section aria-label="Runs of this ticket">
        <h2>Runs that created or changed it</h2>
        <ProblemAlert error={runs.error} title="Could not list the ticket's runs" />
        <ul>
          {(runs.data ?? []).map((r) => (
            <li key={`${r.runId}-${r.actionId}-${r.at}`}>
              <Link to={`/runs/${r.runId}`} className="mono">
                run {r.runId.slice(0, 8)}
              </Link>{" "}
              <code>{r.actionId}</code> at step <code>{r.stepId ?? "—"}</code> · {formatDateTime(r.at)}
            </li>
          ))}
        </ul>
      </section>
      <section aria-label="Comments">
        <h2>Comments</h2>
        <ProblemAlert error={comments.error} title="Could not list comments" />
        {(comments.data ?? []).map((c) => (
          <article key={c.commentId} className="comment" aria-label={`Comment from ${c.authorAddress ?? c.authorType}`}>
            <header>
              <strong>{c.authorAddress ?? c.authorType}</strong> · {formatDateTime(c.createdAt)}{" "}
              {c.unverifiedSender ? (
                <Badge tone="warning" title="The sender's address did not match the ticket's contact">
                  unverified sender
                </Badge>
              ) : null}
            </header>
            <Blocks blocks={c.blocks} />
          </article>
        ))}
      </section>
      <section aria-label="Attachments">
        <h2>Attachments</h2>
        <ProblemAlert error={attachments.error ?? downloadError} title="Attachments" />
        <ul>
          {(attachments.data ?? []).map((a) => (
            <li key={a.attachmentId}>
              {a.name} <span className="muted">({a.contentType}, {a.size} bytes)</span>{" "}
              <Button size="sm" onClick={() => download(ticketId, a.attachmentId, a.name).catch(setDownloadError)} aria-label={`Download ${a.name}`}>
                Download
              </Button>
            </li>
          ))}
        </ul>
        {attachments.data?.length === 0 ? <p className="muted">None.</p> : null}
      </section>
      <section aria-label="Outbound emails">
        <h2>Outbound emails</h2>
        <ProblemAlert error={mail.error} title="Could not list outbound mail" />
        <ul>
          {(mail.data ?? []).map((m) => (
            <li key={m.outboundEmailId}>
              To {m.toAddress}: “{m.subject}” <StatusBadge status={m.status.toUpperCase()} /> {m.sentAt ? formatDateTime(m.sentAt) : ""}
              {m.lastError ? <span className="muted"> ({m.lastError})</span> : null}
            </li>
          ))}
        </ul>
        {mail.data?.length === 0 ? <p className="muted">None.</p> : null}
      </section>
    </section>
  );
}
