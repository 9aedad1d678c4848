import { Button } from "@/components";
import { isExpr, type Json, type JsonObject } from "../model/types";
import { ValueInput } from "./ValueInput";

/** `{path: Expr}` maps (assign, input/output mappings): one row per key, in order. */
export function MapEditor({
  label,
  value,
  onChange,
  keyLabel = "Path",
  keyPlaceholder = "vars.name",
  messages,
}: {
  label: string;
  value: JsonObject | undefined;
  onChange: (v: JsonObject) => void;
  keyLabel?: string;
  keyPlaceholder?: string;
  messages?: string[];
}) {
  const entries = Object.entries(value ?? {});
  const rename = (index: number, key: string) => {
    onChange(Object.fromEntries(entries.map(([k, v], i) => (i === index ? [key, v] : [k, v]))));
  };
  const set = (key: string, v: Json | undefined) => onChange({ ...(value ?? {}), [key]: v ?? null });
  const remove = (key: string) => onChange(Object.fromEntries(entries.filter(([k]) => k !== key)));
  const add = () => {
    let n = entries.length + 1;
    const base = keyPlaceholder.replace(/name$/, "value");
    let key = `${base}${n}`;
    while (value && key in value) key = `${base}${++n}`;
    onChange({ ...(value ?? {}), [key]: { $expr: "" } });
  };
  return (
    <fieldset className="map-editor">
      <legend>{label}</legend>
      {entries.length === 0 ? <p className="muted small">No entries.</p> : null}
      {entries.map(([key, v], index) => (
        <div className="map-row" key={index}>
          <div className="map-key">
            <label className="field">
              <span className="field-label">{keyLabel}</span>
              <input className="mono" aria-label={`${label} ${keyLabel.toLowerCase()} ${index + 1}`} value={key} placeholder={keyPlaceholder} onChange={(e) => rename(index, e.target.value)} />
            </label>
            <button type="button" className="link-btn danger" aria-label={`Remove ${key}`} onClick={() => remove(key)}>
              Remove
            </button>
          </div>
          <ValueInput label={`Value of ${key}`} schema={{ anyOf: [{ type: "object", required: ["$expr"], properties: { $expr: { type: "string" } } }, {}] }} value={v} onChange={(nv) => set(key, nv)} preferExpr={isExpr(v) || v === undefined} />
        </div>
      ))}
      {messages?.map((m) => (
        <p key={m} className="expr-server">
          {m}
        </p>
      ))}
      <Button size="sm" onClick={add}>
        Add entry
      </Button>
    </fieldset>
  );
}
