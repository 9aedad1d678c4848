import { useState } from "react";
import { Button } from "@/components";
import type { EditAction } from "../model/actions";
import { type Definition, isObject } from "../model/types";

/** The raw document. Applying replaces the document as one undoable action; what is
 * shown is exactly what is saved (round-trips losslessly). */
export function JsonTab({ doc, dispatch, readOnly }: { doc: Definition; dispatch: (action: EditAction) => void; readOnly: boolean }) {
  const shown = JSON.stringify(doc, null, 2);
  const [text, setText] = useState(shown);
  const [error, setError] = useState<string | null>(null);
  const [applied, setApplied] = useState(false);
  const dirty = text !== shown;
  const apply = () => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      setError(`Not valid JSON: ${(e as Error).message}`);
      return;
    }
    if (!isObject(parsed as never) || !Array.isArray((parsed as Record<string, unknown>).steps)) {
      setError("The document must be a JSON object with a steps array.");
      return;
    }
    setError(null);
    if (JSON.stringify(parsed) !== JSON.stringify(doc)) {
      dispatch({ kind: "replaceDocument", doc: parsed as Definition, label: "Edit JSON" });
    }
    setApplied(true);
  };
  return (
    <div className="json-tab">
      <div className="toolbar">
        <p className="muted small">The workflow document as stored. Edit and apply; Undo reverts it.</p>
        <div className="row-end">
          <Button onClick={() => { setText(shown); setError(null); }} disabled={!dirty}>
            Revert
          </Button>
          <Button variant="primary" onClick={apply} disabled={readOnly || !dirty}>
            Apply JSON
          </Button>
        </div>
      </div>
      {error ? (
        <p role="alert" className="alert alert-error">
          {error}
        </p>
      ) : null}
      {applied && !dirty && !error ? <p className="muted small" role="status">Applied.</p> : null}
      <textarea
        className="json-editor mono"
        aria-label="Workflow JSON"
        spellCheck={false}
        value={text}
        readOnly={readOnly}
        onChange={(e) => {
          setText(e.target.value);
          setApplied(false);
        }}
      />
    </div>
  );
}
