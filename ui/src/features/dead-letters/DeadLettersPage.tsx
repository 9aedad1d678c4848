import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, type Schemas, unwrap } from "@/api/client";
import { Button, EmptyState, JsonTree, Modal, PageHeader, ProblemAlert, Spinner } from "@/components";
import { allows, roleReason, useMe } from "@/lib/auth";
import { formatDateTime } from "@/lib/format";

type Letter = Schemas["DeadLetterPublic"];
const lettersKey = ["dead-letters"] as const;

/** Messages a consumer could not handle: reason, original topic, payload; requeue
 * (admin) publishes the message to its topic again, after a confirmation. */
export function DeadLettersPage() {
  const letters = useQuery({
    queryKey: lettersKey,
    queryFn: async () => unwrap(await api.GET("/dead-letters", { params: { query: { limit: 200 } } })).items,
  });
  const me = useMe();
  const [requeue, setRequeue] = useState<Letter | null>(null);
  const admin = allows(me.data, "workflow.admin");
  return (
    <section className="page dead-letters-page">
      <PageHeader title="Dead letters" subtitle="Messages that could not be handled, newest first" />
      <ProblemAlert error={letters.error} title="Could not list dead letters" />
      {!admin ? <p className="muted">{roleReason(me.data, "workflow.admin", "Requeueing")}</p> : null}
      {letters.isPending ? <Spinner label="Loading dead letters" /> : null}
      {letters.data?.length === 0 ? <EmptyState title="No dead letters" /> : null}
      {letters.data?.length ? (
        <table className="table" aria-label="Dead letters">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Original topic</th>
              <th scope="col">Reason</th>
              <th scope="col">Message</th>
              <th scope="col">Requeued</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {letters.data.map((letter) => (
              <tr key={letter.id}>
                <td>{formatDateTime(letter.createdAt)}</td>
                <td>
                  <code>{letter.topic}</code>
                  <div className="muted">
                    partition {letter.partition}, offset {letter.offset}
                  </div>
                </td>
                <td className="reason">{letter.reason}</td>
                <td>
                  <details>
                    <summary>payload</summary>
                    {letter.payload === null || letter.payload === undefined ? <p className="muted">not JSON (cannot be requeued)</p> : <JsonTree value={letter.payload} label="Dead letter payload" />}
                    <JsonTree value={letter.headers} label="Headers" openDepth={1} />
                  </details>
                </td>
                <td>{letter.requeuedAt ? formatDateTime(letter.requeuedAt) : "—"}</td>
                <td>
                  {admin ? (
                    <Button size="sm" onClick={() => setRequeue(letter)} aria-label={`Requeue dead letter from ${letter.topic} at ${formatDateTime(letter.createdAt)}`}>
                      Requeue
                    </Button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {requeue ? <RequeueDialog letter={requeue} onClose={() => setRequeue(null)} /> : null}
    </section>
  );
}

function RequeueDialog({ letter, onClose }: { letter: Letter; onClose: () => void }) {
  const client = useQueryClient();
  const [reason, setReason] = useState("");
  const requeue = useMutation({
    mutationFn: async () => unwrap(await api.POST("/dead-letters/{id}/requeue", { params: { path: { id: letter.id } }, body: { reason } })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: lettersKey });
      onClose();
    },
  });
  return (
    <Modal
      title="Requeue this message?"
      open
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Back</Button>
          <Button variant="primary" disabled={!reason.trim() || requeue.isPending} onClick={() => requeue.mutate()}>
            Requeue to {letter.topic}
          </Button>
        </>
      }
    >
      <p>
        The message goes back to <code>{letter.topic}</code> with its key{letter.requeuedAt ? " (it was requeued before)" : ""}. Its consumer will handle it again.
      </p>
      <label className="field">
        Reason (required, audited)
        <textarea value={reason} onChange={(e) => setReason(e.target.value)} rows={2} />
      </label>
      <ProblemAlert error={requeue.error} title="Could not requeue" />
    </Modal>
  );
}
