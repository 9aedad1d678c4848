import { useState } from "react";
import { Badge, Button, Modal, ProblemAlert, StatusBadge, type Tone } from "@/components";
import { type ShadowRunResult, useShadowRuns } from "../api";

const ANSWER_TONES: Record<string, Tone> = {
  RECORDED: "success",
  EXECUTED: "info",
  INPUT_CHANGED: "warning",
  NO_RECORDING: "danger",
  TIMED_OUT: "neutral",
  TIMER: "neutral",
  REFUSED: "danger",
};
const ANSWER_LABELS: Record<string, string> = {
  RECORDED: "recorded",
  EXECUTED: "ran (pure)",
  INPUT_CHANGED: "input changed",
  NO_RECORDING: "no recording",
  TIMED_OUT: "timed out",
  TIMER: "timer",
  REFUSED: "refused",
};

/** Replay the newest finished runs through the (saved) draft and show what would change.
 * Nothing is written and no side-effectful action is called: the server answers them
 * from each run's recording. */
export function ShadowDialog({ open, onClose, workflowId, beforeRun }: { open: boolean; onClose: () => void; workflowId: string; beforeRun: () => Promise<boolean> }) {
  const shadow = useShadowRuns(workflowId);
  const [sample, setSample] = useState(10);
  const report = shadow.data;
  const replay = async () => {
    if (!(await beforeRun())) return;
    shadow.mutate(sample);
  };
  return (
    <Modal
      title="Shadow run the draft"
      wide
      open={open}
      onClose={() => {
        shadow.reset();
        onClose();
      }}
      footer={
        <>
          <Button onClick={onClose}>Close</Button>
          <Button variant="primary" onClick={() => void replay()} disabled={shadow.isPending}>
            {shadow.isPending ? "Replaying…" : "Replay"}
          </Button>
        </>
      }
    >
      <p className="muted">
        Replays the payloads of past runs through this draft, in memory: side-effectful actions get the answers the runs recorded (or a null output when nothing was recorded); nothing is
        sent or written.
      </p>
      <label className="field">
        <span className="field-label">Newest finished runs (1 to 50)</span>
        <input type="number" min={1} max={50} value={sample} onChange={(e) => setSample(Math.max(1, Math.min(50, Number(e.target.value) || 1)))} />
      </label>
      <ProblemAlert error={shadow.error} title="Could not shadow run the draft" />
      {report ? (
        <section aria-label="Shadow run result">
          <p role="status">
            {report.summary.runs} runs replayed: <strong>{report.summary.outcomeChanged} would end differently</strong>, {report.summary.unchanged} unchanged,{" "}
            {report.summary.withUnrecordedCalls} with calls not recorded, {report.summary.withChangedInputs} with changed inputs
            {report.summary.incomplete ? `, ${report.summary.incomplete} not brought to an end` : ""}.
          </p>
          {report.runs.length === 0 ? <p className="muted">This workflow has no finished runs yet.</p> : null}
          <ul className="shadow-runs">
            {report.runs.map((run) => (
              <ShadowRunItem key={run.runId} run={run} />
            ))}
          </ul>
        </section>
      ) : null}
    </Modal>
  );
}

export function ShadowRunItem({ run }: { run: ShadowRunResult }) {
  return (
    <li className="shadow-run">
      <details>
        <summary>
          <span className="mono small">{run.runId.slice(0, 8)}</span> <StatusBadge status={run.past.status} />
          {run.past.state ? <span className="muted small"> {run.past.state}</span> : null} → <StatusBadge status={run.draft.status} />
          {run.draft.state ? <span className="muted small"> {run.draft.state}</span> : null}{" "}
          {run.outcomeChanged ? <Badge tone="warning">outcome changed</Badge> : <Badge tone="success">same outcome</Badge>}
        </summary>
        {run.stopped ? <p className="alert alert-warning">{run.stopped}</p> : null}
        {run.draft.error ? <pre className="mono small">{JSON.stringify(run.draft.error, null, 2)}</pre> : null}
        <h4>Action calls the draft would make</h4>
        {run.calls.length === 0 ? <p className="muted small">none</p> : null}
        <ul>
          {run.calls.map((call, index) => (
            <li key={index}>
              <span className="mono small">{call.stepId}</span> {call.actionId}
              {call.attempt > 1 ? <span className="muted small"> attempt {call.attempt}</span> : null}{" "}
              <Badge tone={ANSWER_TONES[call.answer] ?? "neutral"}>{ANSWER_LABELS[call.answer] ?? call.answer}</Badge>
            </li>
          ))}
        </ul>
        {run.notCalled.length ? (
          <>
            <h4>Recorded calls the draft would not make</h4>
            <ul>
              {run.notCalled.map((call, index) => (
                <li key={index}>
                  <span className="mono small">{call.stepId}</span> {call.actionId}
                </li>
              ))}
            </ul>
          </>
        ) : null}
        {run.waits.length ? (
          <>
            <h4>Waits</h4>
            <ul>
              {run.waits.map((wait, index) => (
                <li key={index}>
                  <span className="mono small">{wait.stepId}</span> {wait.kind} <Badge tone={ANSWER_TONES[wait.answer] ?? "neutral"}>{ANSWER_LABELS[wait.answer] ?? wait.answer}</Badge>{" "}
                  <span className="muted small">{wait.detail}</span>
                </li>
              ))}
            </ul>
          </>
        ) : null}
        <h4>Differences in the end state</h4>
        {run.changes.length === 0 ? <p className="muted small">none</p> : null}
        <ul>
          {run.changes.map((change) => (
            <li key={change.pointer}>
              <span className="mono small">{change.pointer}</span> {change.kind}: <span className="mono small">{JSON.stringify(change.before ?? null)}</span> →{" "}
              <span className="mono small">{JSON.stringify(change.after ?? null)}</span>
            </li>
          ))}
        </ul>
      </details>
    </li>
  );
}
