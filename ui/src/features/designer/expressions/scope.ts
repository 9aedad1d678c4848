/** What an expression of a step can read (the field picker and autocompletion):
 * payload fields from the payload JSON Schema, vars written upstream (assign keys,
 * saveAs, loop variables, captured errors), meta, error inside a catch, and event
 * inside an event wait's assign. Computed from the tree on the client. */
import { parsePath } from "../model/paths";
import { walk } from "../model/tree";
import { type Definition, isObject, type Json, type Step } from "../model/types";

export interface FieldNode {
  path: string;
  label: string;
  type?: string;
  source: "payload" | "vars" | "meta" | "error" | "event";
  note?: string;
  children?: FieldNode[];
}

type Schema = Record<string, unknown>;

function schemaType(schema: Schema): string | undefined {
  const type = schema.type;
  if (typeof type === "string") return type;
  if (Array.isArray(type)) return type.filter((x) => x !== "null").join(" | ");
  if (schema.anyOf || schema.oneOf) return "one of";
  return undefined;
}

function resolveRef(schema: Schema, root: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== "string" || !ref.startsWith("#/")) return schema;
  let node: unknown = root;
  for (const part of ref.slice(2).split("/")) node = isObject(node as Json) ? (node as Schema)[part] : undefined;
  return isObject(node as Json) ? (node as Schema) : schema;
}

/** The fields a JSON Schema declares, as a tree of dot paths under `prefix`. */
export function schemaFields(schema: Schema, prefix: string, root: Schema = schema, depth = 0): FieldNode[] {
  const resolved = resolveRef(schema, root);
  const props = resolved.properties;
  if (!isObject(props as Json) || depth > 5) return [];
  return Object.entries(props as Record<string, Schema>).map(([name, sub]) => {
    const s = resolveRef(sub, root);
    const plain = /^[A-Za-z_][\w]*$/.test(name);
    const path = plain ? `${prefix}.${name}` : `${prefix}.\`${name}\``;
    const items = s.type === "array" && isObject(s.items as Json) ? resolveRef(s.items as Schema, root) : null;
    const children = items ? schemaFields(items, path, root, depth + 1) : schemaFields(s, path, root, depth + 1);
    return {
      path,
      label: name,
      source: "payload" as const,
      ...(schemaType(s) ? { type: schemaType(s)! } : {}),
      ...(typeof s.description === "string" ? { note: s.description } : {}),
      ...(children.length ? { children } : {}),
    };
  });
}

function varPath(target: string): string | null {
  if (target.startsWith("vars.")) return target;
  if (target.startsWith("/vars/")) return "vars." + target.slice(6).split("/").join(".");
  return null;
}

/** Is `path` the catch pipe of a tryCatch, or inside one? Returns the capture names. */
function enclosing(doc: Definition, stepPath: string): { inCatch: boolean; loopVars: string[]; captures: string[] } {
  const segments = parsePath(stepPath) ?? [];
  const located = new Map(walk(doc).map((l) => [l.path, l.step]));
  let prefix = "root";
  const loopVars: string[] = [];
  const captures: string[] = [];
  let inCatch = false;
  for (const seg of segments) {
    const owner = located.get(prefix);
    if (owner && seg.branch === "catch") {
      inCatch = true;
      if (typeof owner.captureErrorAs === "string") captures.push(owner.captureErrorAs);
    }
    if (owner && seg.branch === "body" && typeof owner.itemVar === "string") loopVars.push(owner.itemVar);
    prefix = seg.branch ? `${prefix}.${seg.branch}.steps[${seg.index}]` : `root.steps[${seg.index}]`;
  }
  return { inCatch, loopVars, captures };
}

function written(step: Step): { path: string; note: string }[] {
  const out: { path: string; note: string }[] = [];
  const config = isObject(step.config) ? step.config : {};
  if (typeof config.saveAs === "string") {
    const p = varPath(config.saveAs);
    if (p) out.push({ path: p, note: `saved by ${step.id}` });
  }
  if (isObject(config.assign)) {
    for (const key of Object.keys(config.assign)) {
      const p = varPath(key);
      if (p) out.push({ path: p, note: `assigned by ${step.id}` });
    }
  }
  if (step.type === "control.callWorkflow" && isObject(step.outputMapping)) {
    for (const key of Object.keys(step.outputMapping)) {
      const p = varPath(key);
      if (p) out.push({ path: p, note: `from the child of ${step.id}` });
    }
  }
  return out;
}

const META: FieldNode[] = [
  { path: "meta.state", label: "state", type: "string", source: "meta", note: "the run's business state" },
  { path: "meta.traceId", label: "traceId", type: "string", source: "meta" },
  { path: "meta.tags", label: "tags", type: "object", source: "meta" },
  { path: "meta.redactions", label: "redactions", type: "array", source: "meta" },
];

const ERROR: FieldNode[] = ["name", "category", "message", "nodePath", "stepId", "at", "data"].map((k) => ({
  path: `error.${k}`,
  label: k,
  source: "error" as const,
  type: k === "data" ? "object" : "string",
}));

const EVENT: FieldNode[] = ["eventId", "eventName", "correlationKey", "payload", "receivedAt"].map((k) => ({
  path: `event.${k}`,
  label: k,
  source: "event" as const,
  type: k === "payload" ? "object" : "string",
}));

export interface Scope {
  payload: FieldNode[];
  vars: FieldNode[];
  meta: FieldNode[];
  error: FieldNode[];
  event: FieldNode[];
}

/** The scope of the step at `stepPath` (null: the definition itself). */
export function scopeAt(doc: Definition, stepPath: string | null, payloadSchema: Schema | null, withEvent = false): Scope {
  const order = walk(doc);
  const here = stepPath ? order.findIndex((l) => l.path === stepPath) : order.length;
  const vars = new Map<string, FieldNode>();
  for (const loc of order.slice(0, here < 0 ? order.length : here)) {
    for (const w of written(loc.step)) {
      if (!vars.has(w.path)) vars.set(w.path, { path: w.path, label: w.path.slice(5), source: "vars", note: w.note });
    }
  }
  const ctx = stepPath ? enclosing(doc, stepPath) : { inCatch: false, loopVars: [], captures: [] };
  for (const name of ctx.loopVars) {
    vars.set(`vars.${name}`, { path: `vars.${name}`, label: name, source: "vars", note: "the loop's item" });
    vars.set(`vars.${name}Index`, { path: `vars.${name}Index`, label: `${name}Index`, source: "vars", type: "integer", note: "the item's index" });
  }
  for (const name of ctx.captures) {
    vars.set(`vars.${name}`, { path: `vars.${name}`, label: name, source: "vars", type: "object", note: "the caught error" });
  }
  return {
    payload: payloadSchema ? schemaFields(payloadSchema, "payload") : [],
    vars: [...vars.values()],
    meta: META,
    error: ctx.inCatch ? ERROR : [],
    event: withEvent ? EVENT : [],
  };
}

export function flatten(nodes: FieldNode[]): FieldNode[] {
  return nodes.flatMap((n) => [n, ...flatten(n.children ?? [])]);
}
