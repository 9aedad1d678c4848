import { useState } from "react";
import { Badge, Button, Modal, ProblemAlert } from "@/components";
import { useRun, useStartRun } from "../api";

const TONES: Record<string, "info" | "success" | "danger" | "warning" | "neutral"> = {
  QUEUED: "neutral",
  RUNNING: "info",
  WAITING: "warning",
  SUCCEEDED: "success",
  FAILED: "danger",
  CANCELED: "neutral",
};

/** Start a run of a published version with a payload, and watch its status. */
export function RunDialog({ open, onClose, workflowId, latest }: { open: boolean; onClose: () => void; workflowId: string; latest: number | null | undefined }) {
  const start = useStartRun();
  const [payload, setPayload] = useState("{}");
  const [parseError, setParseError] = useState<string | null>(null);
  const runId = start.data?.runId ?? null;
  const run = useRun(runId);
  const submit = () => {
    let body: unknown;
    try {
      body = JSON.parse(payload || "{}");
    } catch (e) {
      setParseError(`The payload is not valid JSON: ${(e as Error).message}`);
      return;
    }
    setParseError(null);
    start.mutate({ workflowId, payload: body as Record<string, unknown> });
  };
  const status = run.data?.status ?? start.data?.status;
  return (
    <Modal
      title="Start a run"
      open={open}
      onClose={() => {
        start.reset();
        onClose();
      }}
      footer={
        <>
          <Button onClick={onClose}>Close</Button>
          <Button variant="primary" onClick={submit} disabled={start.isPending || !latest}>
            Start run
          </Button>
        </>
      }
    >
      {!latest ? <p className="alert alert-warning">Publish a version first: runs execute published versions.</p> : <p className="muted">Runs the latest published version (v{latest}).</p>}
      <label className="field">
        <span className="field-label">Payload (JSON)</span>
        <textarea className="mono" rows={6} value={payload} onChange={(e) => setPayload(e.target.value)} />
      </label>
      {parseError ? <p className="expr-error">{parseError}</p> : null}
      <ProblemAlert error={start.error ?? run.error} title="Could not start the run" />
      {runId ? (
        <div className="run-status" role="status" aria-live="polite">
          <span>Run</span> <span className="mono small">{runId}</span>{" "}
          <Badge tone={TONES[status ?? ""] ?? "neutral"}>{status ?? "…"}</Badge>
          {run.data?.state ? <span className="muted"> state {run.data.state}</span> : null}
          {run.data?.error ? <pre className="mono small">{JSON.stringify(run.data.error, null, 2)}</pre> : null}
        </div>
      ) : null}
    </Modal>
  );
}
