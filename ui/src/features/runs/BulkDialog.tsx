import { useState } from "react";
import { Button, Modal, ProblemAlert } from "@/components";
import { useBulkControl } from "./api";

export type BulkAction = "cancel" | "resume" | "retry";

const VERBS: Record<BulkAction, string> = { cancel: "Cancel", resume: "Resume", retry: "Retry" };

/** One control for many runs: a required reason, a confirmation that says how many,
 * then every run's outcome (a refusal of one does not stop the others). */
export function BulkDialog({ action, runIds, onClose, onDone }: { action: BulkAction; runIds: string[]; onClose: () => void; onDone: () => void }) {
  const [reason, setReason] = useState("");
  const bulk = useBulkControl();
  const count = `${runIds.length} run${runIds.length === 1 ? "" : "s"}`;
  const confirm = `${VERBS[action]} ${count}`;
  const result = bulk.data;
  return (
    <Modal
      title={`${VERBS[action]} ${count}?`}
      open
      onClose={onClose}
      footer={
        result ? (
          <Button variant="primary" onClick={onClose}>
            Close
          </Button>
        ) : (
          <>
            <Button onClick={onClose}>Back</Button>
            <Button
              variant={action === "cancel" ? "danger" : "primary"}
              disabled={!reason.trim() || bulk.isPending}
              onClick={() => bulk.mutate({ action, reason: reason.trim(), runIds }, { onSuccess: onDone })}
            >
              {confirm}
            </Button>
          </>
        )
      }
    >
      {result ? (
        <div role="status">
          <p>
            {result.succeeded} of {result.results.length} done{result.failed ? `, ${result.failed} refused` : ""}.
          </p>
          {result.failed ? (
            <ul className="bulk-failures">
              {result.results
                .filter((r) => !r.ok)
                .map((r) => (
                  <li key={r.runId}>
                    <code>{r.runId.slice(0, 8)}</code> {r.code}: {r.detail}
                  </li>
                ))}
            </ul>
          ) : null}
        </div>
      ) : (
        <>
          <p>
            This will {action} {count}. Each is audited with your reason.
          </p>
          <label className="field">
            Reason (required)
            <textarea required value={reason} onChange={(e) => setReason(e.target.value)} rows={3} />
          </label>
        </>
      )}
      <ProblemAlert error={bulk.error} title={`Could not ${action} the runs`} />
    </Modal>
  );
}
