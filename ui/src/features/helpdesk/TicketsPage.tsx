import { Link } from "react-router";
import { EmptyState, PageHeader, ProblemAlert, Spinner } from "@/components";
import { formatRelative } from "@/lib/format";
import { useTickets } from "./api";

export function TicketsPage() {
  const tickets = useTickets();
  return (
    <section className="page tickets-page">
      <PageHeader title="Help desk" subtitle="Tickets, newest first" />
      <ProblemAlert error={tickets.error} title="Could not list tickets" />
      {tickets.isPending ? <Spinner label="Loading tickets" /> : null}
      {tickets.data?.length === 0 ? <EmptyState title="No tickets yet" /> : null}
      {tickets.data?.length ? (
        <table className="table" aria-label="Tickets">
          <thead>
            <tr>
              <th scope="col">Ticket</th>
              <th scope="col">Title</th>
              <th scope="col">Status</th>
              <th scope="col">Priority</th>
              <th scope="col">Source</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {tickets.data.map((t) => (
              <tr key={t.ticketId}>
                <td>
                  <Link to={`/tickets/${t.ticketId}`}>{t.ticketNumber}</Link>
                </td>
                <td>{t.title}</td>
                <td>{t.status ?? "—"}</td>
                <td>{t.priority ?? "—"}</td>
                <td>{t.source}</td>
                <td>{formatRelative(t.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
