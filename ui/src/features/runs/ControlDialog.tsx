import { Validator } from "@cfworker/json-schema";
import { useState } from "react";
import { Button, Modal, ProblemAlert } from "@/components";
import { type Control, type Run, useControl } from "./api";

const TITLES: Record<Control, string> = {
  cancel: "Cancel this run",
  resume: "Resume this run now",
  retry: "Retry from the failed step",
  replay: "Replay as a new run",
};

interface Editor {
  label: string;
  text: string;
}

function parse(editor: Editor | undefined): { value?: unknown; error?: string } {
  if (!editor || !editor.text.trim()) return {};
  try {
    return { value: JSON.parse(editor.text) as unknown };
  } catch (error) {
    return { error: `${editor.label}: ${(error as Error).message}` };
  }
}

/** Problems of ``payload`` against the workflow's payload schema (the server checks again). */
function schemaProblems(schema: Record<string, unknown> | null | undefined, payload: unknown): string[] {
  if (!schema || payload === undefined) return [];
  try {
    const result = new Validator(schema as never, "2020-12", false).validate(payload);
    return result.errors.filter((e) => e.keyword !== "properties").map((e) => `${e.instanceLocation.replace(/^#/, "/payload")}: ${e.error}`);
  } catch {
    return [];
  }
}

/** An operator control: a required reason, and for resume/retry/replay the JSON to
 * send (retry: the failed step's payload and vars to edit, checked against the
 * payload schema as you type). Shows the answer's problem if the server refuses. */
export function ControlDialog({
  action,
  run,
  initialPayload,
  initialVars,
  payloadSchema,
  onClose,
  onDone,
}: {
  action: Control;
  run: Run;
  initialPayload?: unknown;
  initialVars?: unknown;
  payloadSchema?: Record<string, unknown> | null;
  onClose: () => void;
  onDone: (result: Run) => void;
}) {
  const control = useControl(run.runId);
  const [reason, setReason] = useState("");
  const [payload, setPayload] = useState<Editor | undefined>(
    action === "cancel" ? undefined : { label: action === "resume" ? "Event payload or task output" : "Payload", text: initialPayload === undefined ? "" : JSON.stringify(initialPayload, null, 2) },
  );
  const [vars, setVars] = useState<Editor | undefined>(action === "retry" ? { label: "Vars", text: initialVars === undefined ? "" : JSON.stringify(initialVars, null, 2) } : undefined);
  const [version, setVersion] = useState<string>(String(run.workflowVersion));
  const parsedPayload = parse(payload);
  const parsedVars = parse(vars);
  const problems = [parsedPayload.error, parsedVars.error].filter(Boolean) as string[];
  if (action === "retry" || action === "replay") problems.push(...schemaProblems(payloadSchema, parsedPayload.value));
  const submit = () =>
    control.mutate(
      {
        action,
        reason: reason.trim(),
        ...(parsedPayload.value !== undefined ? { payload: parsedPayload.value } : {}),
        ...(parsedVars.value !== undefined ? { vars: parsedVars.value } : {}),
        ...(action === "replay" && Number(version) > 0 ? { version: Number(version) } : {}),
      },
      { onSuccess: onDone },
    );
  return (
    <Modal
      title={TITLES[action]}
      open
      wide={action !== "cancel"}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Back</Button>
          <Button variant={action === "cancel" ? "danger" : "primary"} disabled={!reason.trim() || problems.length > 0 || control.isPending} onClick={submit}>
            {TITLES[action]}
          </Button>
        </>
      }
    >
      <label className="field">
        Reason (required, audited)
        <textarea value={reason} onChange={(e) => setReason(e.target.value)} rows={2} required />
      </label>
      {action === "replay" ? (
        <label className="field field-narrow">
          Version
          <input type="number" min={1} value={version} onChange={(e) => setVersion(e.target.value)} />
        </label>
      ) : null}
      {payload ? (
        <label className="field">
          {payload.label} (JSON{action === "retry" || action === "replay" ? "; empty keeps the run's" : ""})
          <textarea className="code" rows={10} spellCheck={false} value={payload.text} onChange={(e) => setPayload({ ...payload, text: e.target.value })} />
        </label>
      ) : null}
      {vars ? (
        <label className="field">
          {vars.label} (JSON; empty keeps the run's)
          <textarea className="code" rows={6} spellCheck={false} value={vars.text} onChange={(e) => setVars({ ...vars, text: e.target.value })} />
        </label>
      ) : null}
      {problems.length > 0 ? (
        <ul className="field-errors" aria-label="Problems with the JSON">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      ) : null}
      <ProblemAlert error={control.error} title={`Could not ${action} the run`} />
    </Modal>
  );
}
