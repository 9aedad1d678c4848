/** How a config property is edited, read from its JSON Schema. */
import { isExpr, isObject, type Json } from "../model/types";

type Schema = Record<string, unknown>;

/** `{"$expr": ...}` only (SPEC Expr). */
export function isExprSchema(schema: unknown): boolean {
  if (!isObject(schema as Json)) return false;
  const s = schema as Schema;
  const props = s.properties as Schema | undefined;
  return Boolean(props && "$expr" in props && Array.isArray(s.required) && (s.required as string[]).includes("$expr"));
}

/** The non-expression alternatives of a schema (anyOf minus the Expr branch). */
export function literalSchema(schema: Schema): Schema | null {
  if (isExprSchema(schema)) return null;
  const alts = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (Array.isArray(alts)) {
    const rest = alts.filter((a) => !isExprSchema(a));
    if (rest.length === 1) return { ...rest[0], ...(schema.description ? { description: schema.description } : {}) };
    if (rest.length === 0) return null;
    return { anyOf: rest };
  }
  return schema;
}

export type Editing = "expr" | "either" | "map" | "json" | "plain";

export function editingOf(name: string, schema: Schema, value: unknown): Editing {
  if (isExprSchema(schema)) return "expr";
  const alts = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (Array.isArray(alts) && alts.some(isExprSchema)) {
    if (schema.type === "object" && schema.minProperties !== undefined) return "map";
    return "either";
  }
  if (name === "assign" || (schema.type === "object" && isObject(schema.additionalProperties as Json) && !schema.properties)) return "map";
  if (isExpr(value)) return "either";
  if (schema.type === "object" && !schema.properties) return "json";
  if (schema.type === "array") return "json";
  return "plain";
}

export function typeLabel(schema: Schema | null): string {
  if (!schema) return "any";
  if (typeof schema.type === "string") return schema.type;
  if (Array.isArray(schema.enum)) return "one of";
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as Schema[]).map((s) => typeLabel(s)).join(" | ");
  return "any";
}
