import { useId, useState } from "react";
import { ExpressionEditor } from "../expressions/ExpressionEditor";
import { isExpr, type Json } from "../model/types";
import { literalSchema, typeLabel } from "./schemaKinds";

type Schema = Record<string, unknown>;

export interface ValueInputProps {
  label: string;
  schema: Schema;
  value: Json | undefined;
  onChange: (value: Json | undefined) => void;
  required?: boolean;
  description?: string;
  /** Only an expression is allowed (no literal toggle). */
  exprOnly?: boolean;
  messages?: string[];
  /** Start new (absent) values as expressions. */
  preferExpr?: boolean;
}

/** A config value that is either a literal (typed by its schema) or an expression. */
export function ValueInput({ label, schema, value, onChange, required, description, exprOnly, messages, preferExpr }: ValueInputProps) {
  const literal = literalSchema(schema);
  const [mode, setMode] = useState<"expr" | "literal">(preferExpr ? "expr" : "literal");
  const id = useId();
  // The value decides when it can: undo/redo may change it under us.
  const asExpr = Boolean(exprOnly) || !literal || isExpr(value) || (value === undefined && mode === "expr");
  const toggle = () => {
    if (asExpr) {
      const text = isExpr(value) ? value.$expr : "";
      // A literal string expression "abc" becomes the literal abc.
      const m = /^"(.*)"$/.exec(text);
      onChange(m ? m[1]! : undefined);
      setMode("literal");
    } else {
      onChange(value === undefined || value === "" ? { $expr: "" } : { $expr: JSON.stringify(value) });
      setMode("expr");
    }
  };
  return (
    <div className="field value-input">
      <div className="field-head">
        <span className="field-label" id={id}>
          {label}
          {required ? <span className="req" aria-hidden="true"> *</span> : null}
        </span>
        {!exprOnly && literal ? (
          <button type="button" className="mode-toggle" aria-pressed={asExpr} aria-label={`${label}: use an expression`} onClick={toggle}>
            {asExpr ? "ƒx expression" : "ƒx"}
          </button>
        ) : (
          <span className="mode-fixed">ƒx expression</span>
        )}
      </div>
      {description ? <p className="field-help">{description}</p> : null}
      {asExpr ? (
        <ExpressionEditor label={label} value={isExpr(value) ? value.$expr : ""} onChange={(text) => onChange({ $expr: text })} serverMessages={messages} />
      ) : (
        <>
          <LiteralInput label={label} schema={literal ?? {}} value={value} onChange={onChange} />
          {messages?.map((m) => (
            <p key={m} className="expr-server">
              {m}
            </p>
          ))}
        </>
      )}
    </div>
  );
}

export function LiteralInput({ label, schema, value, onChange }: { label: string; schema: Schema; value: Json | undefined; onChange: (v: Json | undefined) => void }) {
  const type = typeLabel(schema);
  if (Array.isArray(schema.enum)) {
    return (
      <select aria-label={label} value={value === undefined ? "" : JSON.stringify(value)} onChange={(e) => onChange(e.target.value === "" ? undefined : (JSON.parse(e.target.value) as Json))}>
        <option value="">—</option>
        {(schema.enum as Json[]).map((opt) => (
          <option key={JSON.stringify(opt)} value={JSON.stringify(opt)}>
            {String(opt)}
          </option>
        ))}
      </select>
    );
  }
  if (type === "boolean") {
    return (
      <label className="check">
        <input type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} /> {label}
      </label>
    );
  }
  if (type === "integer" || type === "number") {
    return (
      <input
        type="number"
        aria-label={label}
        value={typeof value === "number" ? value : ""}
        onChange={(e) => onChange(e.target.value === "" ? undefined : Number(e.target.value))}
      />
    );
  }
  if (type === "string" || type.startsWith("string |") || type.endsWith("| string")) {
    return <input type="text" aria-label={label} value={typeof value === "string" ? value : ""} onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)} />;
  }
  return <JsonInput label={label} value={value} onChange={onChange} />;
}

/** Free JSON (objects without declared properties, arrays, anything). */
export function JsonInput({ label, value, onChange }: { label: string; value: Json | undefined; onChange: (v: Json | undefined) => void }) {
  const [text, setText] = useState(value === undefined ? "" : JSON.stringify(value, null, 2));
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <textarea
        className="mono"
        rows={Math.min(10, Math.max(2, text.split("\n").length))}
        aria-label={`${label} (JSON)`}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value.trim() === "") {
            setError(null);
            onChange(undefined);
            return;
          }
          try {
            onChange(JSON.parse(e.target.value) as Json);
            setError(null);
          } catch (err) {
            setError(`not valid JSON yet: ${(err as Error).message}`);
          }
        }}
      />
      {error ? <p className="expr-error">{error}</p> : null}
    </>
  );
}
