/** The definition document as JSON (SPEC 3). The editor never re-shapes it:
 * unknown keys are kept as they are, so a document round-trips losslessly. */
export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export interface Step extends JsonObject {
  id: string;
  type: string;
}

export interface Definition extends JsonObject {
  steps: Step[];
}

/** The branches a control block holds, in display order. */
export type Branch = "then" | "else" | "try" | "catch" | "body";

export const BRANCHES: Readonly<Record<string, readonly Branch[]>> = {
  "control.if": ["then", "else"],
  "control.tryCatch": ["try", "catch"],
  "control.forEach": ["body"],
};

/** A pipe: the top-level steps (`parent` "root", no branch) or a block's branch. */
export interface PipeRef {
  parent: string;
  branch: Branch | null;
}

export const ROOT_PIPE: PipeRef = { parent: "root", branch: null };

export interface Expr extends JsonObject {
  $expr: string;
}

export function isExpr(value: unknown): value is Expr {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as Record<string, unknown>)["$expr"] === "string" &&
    Object.keys(value).length === 1
  );
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function branchesOf(step: Step): readonly Branch[] {
  return BRANCHES[step.type] ?? [];
}

/** JSON text with object keys sorted: equal for documents that differ only in key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isObject(v as Json) ? Object.fromEntries(Object.entries(v as JsonObject).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** `next`'s content in `previous`'s key order (new keys last), so an edit leaves the
 * document's layout alone. */
export function keepOrder(previous: JsonObject, next: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(previous)) if (key in next && next[key] !== undefined) out[key] = next[key]!;
  for (const key of Object.keys(next)) if (!(key in out) && next[key] !== undefined) out[key] = next[key]!;
  return out;
}
