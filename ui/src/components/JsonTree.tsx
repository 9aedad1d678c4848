import { useState } from "react";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A JSON value as a collapsible tree (native <details>: keyboard and screen readers
 * for free), with a button that copies it as indented JSON. */
export function JsonTree({ value, label, openDepth = 2 }: { value: unknown; label: string; openDepth?: number }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(JSON.stringify(value, null, 2));
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <div className="json-tree" aria-label={label} role="group">
      <div className="json-tree-bar">
        <span className="json-tree-label">{label}</span>
        <button type="button" className="btn btn-ghost btn-sm" onClick={() => void copy()} aria-label={`Copy ${label}`}>
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
      <div className="json-tree-body">
        <Node value={value as Json} depth={0} openDepth={openDepth} name={null} />
      </div>
    </div>
  );
}

function Leaf({ value }: { value: Json }) {
  if (value === null) return <span className="json-null">null</span>;
  if (typeof value === "string") return <span className="json-string">{JSON.stringify(value)}</span>;
  if (typeof value === "number") return <span className="json-number">{String(value)}</span>;
  return <span className="json-boolean">{String(value)}</span>;
}

function Node({ value, depth, openDepth, name }: { value: Json; depth: number; openDepth: number; name: string | null }) {
  const key = name === null ? null : <span className="json-key">{name}: </span>;
  if (value === null || typeof value !== "object") {
    return (
      <div className="json-row">
        {key}
        <Leaf value={value ?? null} />
      </div>
    );
  }
  const entries: [string, Json][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  const brackets = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  if (entries.length === 0) {
    return (
      <div className="json-row">
        {key}
        <span className="json-punct">{brackets.join("")}</span>
      </div>
    );
  }
  return (
    <details className="json-node" open={depth < openDepth}>
      <summary>
        {key}
        <span className="json-punct">{brackets[0]}</span>
        <span className="json-count"> {entries.length} {Array.isArray(value) ? "items" : "keys"} </span>
        <span className="json-punct">{brackets[1]}</span>
      </summary>
      <div className="json-children">
        {entries.map(([k, v]) => (
          <Node key={k} value={v} depth={depth + 1} openDepth={openDepth} name={k} />
        ))}
      </div>
    </details>
  );
}
