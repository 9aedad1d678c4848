import { useState } from "react";
import { useNavigate } from "react-router";
import { Button, Modal, ProblemAlert, Spinner } from "@/components";
import { type BulkAction, type BulkTarget, useBulkDryRun, useBulkOperation } from "./api";

const VERBS: Record<BulkAction, string> = { cancel: "Cancel", resume: "Resume", retry: "Retry", replay: "Replay" };

/** One control for many runs, listed or matched by the list's filters: first what it
 * would touch (a dry run, per status), then a required reason; the operation runs in
 * the background and its page shows progress and every run's outcome. */
export function BulkDialog({ action, target, onClose }: { action: BulkAction; target: BulkTarget; onClose: () => void }) {
  const [reason, setReason] = useState("");
  const dry = useBulkDryRun(action, target);
  const bulk = useBulkOperation();
  const navigate = useNavigate();
  const total = dry.data?.total;
  const count = total === undefined ? "the runs" : `${total} run${total === 1 ? "" : "s"}`;
  const start = () =>
    bulk.mutate({ action, reason: reason.trim(), target }, { onSuccess: (operation) => void navigate(`/bulk-operations/${operation.operationId}`) });
  return (
    <Modal
      title={`${VERBS[action]} ${count}?`}
      open
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Back</Button>
          <Button variant={action === "cancel" ? "danger" : "primary"} disabled={!reason.trim() || bulk.isPending || !total} onClick={start}>
            {VERBS[action]} {count}
          </Button>
        </>
      }
    >
      {dry.isPending ? <Spinner label="Counting the runs" /> : null}
      {dry.data ? (
        <div role="status" aria-label="What it would touch">
          <p>
            This will {action} {count}
            {"filters" in target ? ` matching the filters (only ${dry.data.appliesTo.join(" or ")} ones)` : ""}. Each is audited with your reason.
          </p>
          <ul className="bulk-counts">
            {Object.entries(dry.data.byStatus).map(([status, n]) => (
              <li key={status}>
                {status}: {n}
              </li>
            ))}
            {dry.data.notFound ? <li>not found: {dry.data.notFound}</li> : null}
          </ul>
        </div>
      ) : null}
      <label className="field">
        Reason (required)
        <textarea required value={reason} onChange={(e) => setReason(e.target.value)} rows={3} />
      </label>
      <ProblemAlert error={dry.error} title="Could not count the runs" />
      <ProblemAlert error={bulk.error} title={`Could not ${action} the runs`} />
    </Modal>
  );
}
