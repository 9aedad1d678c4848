import { Badge } from "@/components";
import type { EditAction } from "../model/actions";
import type { Issue } from "../model/issues";
import { type Definition, isObject, type Json } from "../model/types";

/** The definition's own fields: name, description, trigger, payload schema. */
export function WorkflowSettings({ doc, dispatch, readOnly, issues, schemaRefs }: { doc: Definition; dispatch: (a: EditAction) => void; readOnly: boolean; issues: readonly Issue[]; schemaRefs: string[] }) {
  const set = (key: string, value: Json | undefined, label: string) => dispatch({ kind: "setField", key, value, label });
  const trigger = isObject(doc.trigger) ? doc.trigger : null;
  const rootIssues = issues.filter((i) => i.stepPath === "root");
  const ref = typeof doc.payloadSchemaRef === "string" ? doc.payloadSchemaRef : "";
  return (
    <section className="config" aria-label="Workflow settings">
      <header className="config-header">
        <div>
          <div className="config-type">Workflow</div>
          <h2 className="config-title">Settings</h2>
          <p className="muted small">Select a step on the canvas to edit it.</p>
        </div>
      </header>
      {rootIssues.length ? (
        <ul className="issue-inline" aria-label="Problems of the workflow">
          {rootIssues.map((i) => (
            <li key={i.code + i.message} className={i.severity}>
              <Badge tone={i.severity === "error" ? "danger" : "warning"}>{i.code}</Badge> {i.message}
            </li>
          ))}
        </ul>
      ) : null}
      <fieldset className="config-body" disabled={readOnly}>
        <label className="field">
          <span className="field-label">Workflow name</span>
          <input value={typeof doc.name === "string" ? doc.name : ""} onChange={(e) => set("name", e.target.value, "Rename workflow")} />
        </label>
        <label className="field">
          <span className="field-label">Description</span>
          <textarea rows={3} value={typeof doc.description === "string" ? doc.description : ""} onChange={(e) => set("description", e.target.value || undefined, "Edit description")} />
        </label>
        <label className="field">
          <span className="field-label">Trigger event</span>
          <input
            className="mono"
            value={trigger && typeof trigger.eventName === "string" ? trigger.eventName : ""}
            placeholder="none: started by the API or another workflow"
            onChange={(e) => set("trigger", e.target.value ? { ...(trigger ?? {}), type: "event", eventName: e.target.value } : undefined, "Edit trigger")}
          />
        </label>
        <label className="field">
          <span className="field-label">Payload schema</span>
          <select value={ref} onChange={(e) => set("payloadSchemaRef", e.target.value || undefined, "Edit payload schema")}>
            <option value="">none (any payload)</option>
            {[...new Set([...schemaRefs, ...(ref ? [ref] : [])])].map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
          <span className="field-help">Validates run payloads and feeds the field picker.</span>
        </label>
      </fieldset>
    </section>
  );
}
