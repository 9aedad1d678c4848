import { useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { Button, DefinitionOutline, PageHeader, ProblemAlert, Spinner, StatusBadge, type StepMark } from "@/components";
import { allows, roleReason, useMe } from "@/lib/auth";
import { formatDateTime } from "@/lib/format";
import { useRunUpdates } from "@/lib/liveUpdates";
import { keys } from "@/lib/queryKeys";
import { type Control, type Run, useDefinitionVersion, useRun, useRunHistory } from "./api";
import { AuditList } from "./AuditList";
import { SideEffectList } from "./SideEffectList";
import { ControlDialog } from "./ControlDialog";
import { LiveIndicator } from "./LiveIndicator";
import { LogsView } from "./LogsView";
import { StepPanel, stepSnapshot } from "./StepPanel";
import { Timeline } from "./Timeline";

const FINAL = new Set(["SUCCEEDED", "FAILED", "CANCELED"]);
const BLOCK_TYPES = new Set(["control.if", "control.tryCatch", "control.forEach"]);

function allowedControls(run: Run): Control[] {
  const out: Control[] = [];
  if (!FINAL.has(run.status)) out.push("cancel");
  if (run.status === "WAITING") out.push("resume");
  if (run.status === "FAILED") out.push("retry");
  if (FINAL.has(run.status)) out.push("replay");
  return out;
}

const LABELS: Record<Control, string> = { cancel: "Cancel run", resume: "Resume run", retry: "Retry run", replay: "Replay run" };

export function RunDetailPage() {
  const { runId = "" } = useParams();
  const client = useQueryClient();
  const navigate = useNavigate();
  const me = useMe();
  // Status changes arrive on the stream (the run and its history are refetched); a
  // RUNNING run's step-by-step progress is polled every 2 s, and everything every 3 s
  // while the stream is down.
  const live = useRunUpdates(runId, () => void client.invalidateQueries({ queryKey: keys.run(runId) }));
  const [control, setControl] = useState<Control | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const probe = useRun(runId, false);
  const status = probe.data?.status;
  const poll = status === "RUNNING" ? 2000 : live !== "live" && status && !FINAL.has(status) ? 3000 : false;
  const run = useRun(runId, poll);
  const history = useRunHistory(runId, poll);
  const version = useDefinitionVersion(run.data?.workflowId, run.data?.workflowVersion);
  const attempts = useMemo(() => history.steps.data ?? [], [history.steps.data]);
  const marks = useMemo(() => {
    const out: Record<string, StepMark> = {};
    for (const a of attempts) out[a.stepId] = { status: a.status, attempts: (out[a.stepId]?.attempts ?? 0) + 1 };
    return out;
  }, [attempts]);
  const definition = version.data?.definition as { steps?: unknown } | undefined;
  const blocks = useMemo(() => new Set(attempts.filter((a) => BLOCK_TYPES.has(stepType(definition?.steps, a.stepId))).map((a) => a.nodePath)), [attempts, definition]);
  const failedStep = [...attempts].reverse().find((a) => a.status === "FAILED")?.stepId;
  const focus = selected ?? failedStep ?? attempts.at(-1)?.stepId ?? null;
  const snapshots = history.snapshots.data ?? [];
  const retryFrom = failedStep ?? focus;
  const focusSnapshot = stepSnapshot(snapshots, attempts.filter((a) => a.stepId === retryFrom))?.envelope as Record<string, unknown> | undefined;

  if (run.isPending) return <Spinner label="Loading the run" />;
  if (!run.data) return <ProblemAlert error={run.error} title="Could not load the run" />;
  const r = run.data;
  const admin = allows(me.data, "workflow.admin");
  return (
    <section className="page run-page">
      <PageHeader
        title={
          <>
            Run <code>{r.runId.slice(0, 8)}</code> <StatusBadge status={r.status} />
          </>
        }
        subtitle={
          <>
            <Link to={`/definitions/${r.workflowId}?version=${r.workflowVersion}`}>
              {version.data?.name || r.workflowId} v{r.workflowVersion}
            </Link>{" "}
            · <Link to="/runs">all runs</Link>
          </>
        }
        actions={<LiveIndicator state={live} />}
      />
      <ProblemAlert error={run.error} title="Could not refresh the run" />
      <dl className="facts" aria-label="Run">
        <Fact label="Run id" value={<code>{r.runId}</code>} />
        <Fact label="Node path" value={<code>{r.nodePath}</code>} />
        <Fact label="Business state" value={r.state ?? "—"} />
        <Fact label="Trigger" value={`${r.trigger}${r.eventName ? ` (${r.eventName})` : ""}`} />
        <Fact label="Correlation key" value={r.correlationKey ?? "—"} />
        {r.parentRunId ? <Fact label="Parent run" value={<Link to={`/runs/${r.parentRunId}`}>{r.parentRunId.slice(0, 8)}</Link>} /> : null}
        <Fact label="Started" value={formatDateTime(r.startedAt)} />
        <Fact label="Updated" value={formatDateTime(r.updatedAt)} />
        <Fact label="Completed" value={formatDateTime(r.completedAt)} />
      </dl>
      {r.error ? (
        <div role="alert" className="alert alert-error run-error">
          <strong>{String(r.error.category ?? "Error")}</strong>
          {r.error.stepId ? (
            <>
              {" "}
              at step <code>{String(r.error.stepId)}</code>
            </>
          ) : null}
          : {String(r.error.message ?? "")}
        </div>
      ) : null}
      <div className="controls" role="group" aria-label="Run controls">
        {admin
          ? allowedControls(r).map((action) => (
              <Button key={action} variant={action === "cancel" ? "danger" : "secondary"} onClick={() => setControl(action)}>
                {LABELS[action]}
              </Button>
            ))
          : null}
        {!admin && allowedControls(r).length > 0 ? <p className="muted">{roleReason(me.data, "workflow.admin", "Cancel, resume, retry and replay")}</p> : null}
      </div>
      <div className="run-grid">
        <section aria-label="Definition" className="run-definition">
          <h2>Definition</h2>
          <ProblemAlert error={version.error} title="Could not load the definition" />
          {definition ? <DefinitionOutline steps={definition.steps} marks={marks} selected={focus} onSelect={setSelected} /> : null}
        </section>
        {focus ? (
          <StepPanel
            runId={runId}
            stepId={focus}
            attempts={attempts}
            snapshots={snapshots}
            invocations={history.invocations.data ?? []}
            logs={history.logs.data ?? []}
          />
        ) : (
          <p className="muted">No step has run yet.</p>
        )}
      </div>
      {[history.steps, history.snapshots, history.invocations, history.waits, history.logs].map((q, i) => (
        <ProblemAlert key={i} error={q.error} title="Could not load the run's history" />
      ))}
      <h2>Timeline</h2>
      <Timeline attempts={attempts} waits={history.waits.data ?? []} blocks={blocks} onSelect={setSelected} />
      <h2>Logs</h2>
      <LogsView logs={history.logs.data ?? []} runId={runId} />
      <SideEffectList runId={runId} poll={poll} />
      <AuditList runId={runId} />
      {control ? (
        <ControlDialog
          action={control}
          run={r}
          payloadSchema={version.data?.payloadSchema}
          initialPayload={control === "retry" ? (focusSnapshot?.payload ?? undefined) : control === "replay" ? undefined : undefined}
          initialVars={control === "retry" ? (focusSnapshot?.vars ?? undefined) : undefined}
          onClose={() => setControl(null)}
          onDone={(result) => {
            setControl(null);
            void client.invalidateQueries({ queryKey: keys.run(runId) });
            if (result.runId !== runId) navigate(`/runs/${result.runId}`);
          }}
        />
      ) : null}
    </section>
  );
}

function Fact({ label, value }: { label: string; value: React.ReactNode }) {
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function stepType(steps: unknown, id: string): string {
  const stack: unknown[] = Array.isArray(steps) ? [...steps] : [];
  while (stack.length) {
    const step = stack.pop() as Record<string, unknown> | null;
    if (!step || typeof step !== "object") continue;
    if (step.id === id) return String(step.type ?? "");
    for (const key of ["then", "else", "try", "catch", "body"]) if (Array.isArray(step[key])) stack.push(...(step[key] as unknown[]));
  }
  return "";
}
