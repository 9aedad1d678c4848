import { useEffect, useState } from "react";
import { Badge, Button } from "@/components";
import type { ActionSpec, NodeType } from "../api";
import type { EditAction } from "../model/actions";
import { type Issue, issueField, messagesForField } from "../model/issues";
import { allIds } from "../model/tree";
import { type Definition, isObject, type Json, type JsonObject, type Step } from "../model/types";
import { MapEditor } from "./MapEditor";
import { NodeConfigForm } from "./NodeConfigForm";
import { LiteralInput, ValueInput } from "./ValueInput";

const EXPR = { type: "object", required: ["$expr"], properties: { $expr: { type: "string" } } };

export function stepLabel(step: Step, nodes: readonly NodeType[]): string {
  const CONTROL: Record<string, string> = {
    "control.if": "If / else",
    "control.forEach": "For each",
    "control.tryCatch": "Try / catch",
    "control.callWorkflow": "Call workflow",
    "control.return": "Return",
  };
  return CONTROL[step.type] ?? (nodes.find((n) => n.type === step.type)?.ui.label as string | undefined) ?? step.type;
}

/** The selected step's settings: id and name, its type's fields or config form, and the
 * publish issues located on it. */
export function ConfigPanel({
  doc,
  path,
  step,
  nodes,
  actions,
  issues,
  dispatch,
  readOnly,
}: {
  doc: Definition;
  path: string;
  step: Step;
  nodes: readonly NodeType[];
  actions: readonly ActionSpec[];
  issues: readonly Issue[];
  dispatch: (action: EditAction) => void;
  readOnly: boolean;
}) {
  const update = (patch: Partial<Record<string, Json | undefined>>, label?: string) => {
    const next: Step = { ...step };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete next[k];
      else next[k] = v;
    }
    dispatch({ kind: "update", path, step: next, ...(label ? { label } : {}) });
  };
  const mine = issues.filter((i) => i.stepPath === path);
  const messagesFor = (field: string) => messagesForField(mine, field);
  const node = nodes.find((n) => n.type === step.type);
  const general = mine.filter((i) => issueField(i) === null);
  return (
    <section className="config" aria-label={`Settings of ${step.id}`}>
      <header className="config-header">
        <div>
          <div className="config-type">{stepLabel(step, nodes)}</div>
          <h2 className="config-title">{step.name ? String(step.name) : step.id}</h2>
          <div className="mono small muted">{path}</div>
        </div>
      </header>
      {general.length > 0 ? (
        <ul className="issue-inline" aria-label="Problems of this step">
          {general.map((i) => (
            <li key={i.code + i.message} className={i.severity}>
              <Badge tone={i.severity === "error" ? "danger" : "warning"}>{i.code}</Badge> {i.message}
            </li>
          ))}
        </ul>
      ) : null}
      <fieldset className="config-body" disabled={readOnly}>
        <StepIdField doc={doc} step={step} onRename={(id) => update({ id }, `Rename ${step.id} to ${id}`)} />
        <label className="field">
          <span className="field-label">Name (optional)</span>
          <input value={typeof step.name === "string" ? step.name : ""} onChange={(e) => update({ name: e.target.value || undefined }, `Name ${step.id}`)} />
        </label>
        {step.type === "control.if" ? (
          <ValueInput label="Condition" schema={EXPR} exprOnly value={step.condition} onChange={(v) => update({ condition: v })} messages={messagesFor("condition")} required />
        ) : null}
        {step.type === "control.forEach" ? (
          <>
            <ValueInput label="Items" schema={EXPR} exprOnly value={step.items} onChange={(v) => update({ items: v })} messages={messagesFor("items")} required description="An array; each item runs the body once." />
            <label className="field">
              <span className="field-label">Item variable</span>
              <input className="mono" value={typeof step.itemVar === "string" ? step.itemVar : ""} onChange={(e) => update({ itemVar: e.target.value })} />
              <span className="field-help">The body reads vars.{String(step.itemVar ?? "item")} and vars.{String(step.itemVar ?? "item")}Index.</span>
            </label>
            <label className="field">
              <span className="field-label">When an item fails</span>
              <select value={typeof step.onItemError === "string" ? step.onItemError : "fail"} onChange={(e) => update({ onItemError: e.target.value === "fail" && step.onItemError === undefined ? undefined : e.target.value })}>
                <option value="fail">fail the loop</option>
                <option value="continue">continue with the next item</option>
              </select>
            </label>
          </>
        ) : null}
        {step.type === "control.tryCatch" ? (
          <label className="field">
            <span className="field-label">Capture error as</span>
            <input className="mono" value={typeof step.captureErrorAs === "string" ? step.captureErrorAs : ""} onChange={(e) => update({ captureErrorAs: e.target.value || undefined })} />
            <span className="field-help">The catch pipe reads the error as error.* and vars.{String(step.captureErrorAs ?? "name")}.</span>
          </label>
        ) : null}
        {step.type === "control.callWorkflow" ? (
          <>
            <label className="field">
              <span className="field-label">Workflow id</span>
              <input className="mono" value={typeof step.workflowId === "string" ? step.workflowId : ""} onChange={(e) => update({ workflowId: e.target.value })} />
            </label>
            <label className="field">
              <span className="field-label">Version (empty: latest published)</span>
              <LiteralInput label="Version" schema={{ type: "integer" }} value={step.workflowVersion} onChange={(v) => update({ workflowVersion: v })} />
            </label>
            <MapEditor label="Input mapping" keyLabel="Key" keyPlaceholder="name" value={isObject(step.inputMapping) ? step.inputMapping : undefined} onChange={(v) => update({ inputMapping: v })} messages={messagesFor("inputMapping")} />
            <MapEditor label="Output mapping" value={isObject(step.outputMapping) ? step.outputMapping : undefined} onChange={(v) => update({ outputMapping: v })} messages={messagesFor("outputMapping")} />
          </>
        ) : null}
        {step.type === "control.return" ? <p className="muted">Ends the run successfully here. Nothing to configure.</p> : null}
        {node ? (
          <>
            <h3 className="config-section">Configuration</h3>
            <NodeConfigForm
              stepId={step.id}
              schema={node.configSchema}
              config={isObject(step.config) ? step.config : {}}
              onChange={(config: JsonObject) => update({ config })}
              actions={actions}
              messagesFor={messagesFor}
            />
            <h3 className="config-section">On error</h3>
            <label className="field">
              <span className="field-label">When this step fails (after retries)</span>
              <select
                value={isObject(step.onError) && typeof step.onError.policy === "string" ? step.onError.policy : ""}
                onChange={(e) => update({ onError: e.target.value ? { policy: e.target.value } : undefined })}
              >
                <option value="">fail (default)</option>
                <option value="fail">fail</option>
                <option value="continue">continue</option>
              </select>
            </label>
            <RetryEditor value={step.retry} onChange={(retry) => update({ retry }, `Retry of ${step.id}`)} />
          </>
        ) : null}
        {!node && !step.type.startsWith("control.") ? <p className="alert alert-warning">Unknown node type {step.type}: edit it in the JSON tab.</p> : null}
      </fieldset>
    </section>
  );
}

function StepIdField({ doc, step, onRename }: { doc: Definition; step: Step; onRename: (id: string) => void }) {
  const [draft, setDraft] = useState(step.id);
  useEffect(() => setDraft(step.id), [step.id]);
  const taken = allIds(doc);
  taken.delete(step.id);
  const problem = !draft.trim() ? "an id is required" : taken.has(draft) ? `${draft} is already used by another step` : null;
  const commit = () => {
    if (!problem && draft !== step.id) onRename(draft);
  };
  return (
    <label className="field">
      <span className="field-label">Step id</span>
      <input className="mono" value={draft} onChange={(e) => setDraft(e.target.value)} onBlur={commit} onKeyDown={(e) => e.key === "Enter" && commit()} aria-invalid={Boolean(problem)} />
      {problem ? <span className="expr-error">{problem}</span> : <span className="field-help">Unique in the workflow; runs record it.</span>}
    </label>
  );
}

function RetryEditor({ value, onChange }: { value: Json | undefined; onChange: (v: Json | undefined) => void }) {
  const retry = isObject(value) ? value : null;
  const set = (key: string, v: Json | undefined) => {
    const next: JsonObject = { ...(retry ?? {}) };
    if (v === undefined) delete next[key];
    else next[key] = v;
    onChange(Object.keys(next).length ? next : undefined);
  };
  return (
    <details className="retry" open={Boolean(retry)}>
      <summary>Retry policy{retry ? ` (${String(retry.maxAttempts ?? "?")} attempts)` : " (none)"}</summary>
      <div className="grid-2">
        <label className="field">
          <span className="field-label">Max attempts</span>
          <LiteralInput label="Max attempts" schema={{ type: "integer" }} value={retry?.maxAttempts} onChange={(v) => set("maxAttempts", v)} />
        </label>
        <label className="field">
          <span className="field-label">Backoff (ms)</span>
          <LiteralInput label="Backoff (ms)" schema={{ type: "integer" }} value={retry?.backoffMs} onChange={(v) => set("backoffMs", v)} />
        </label>
      </div>
      {retry ? (
        <Button size="sm" variant="ghost" onClick={() => onChange(undefined)}>
          Remove retry policy
        </Button>
      ) : null}
    </details>
  );
}
