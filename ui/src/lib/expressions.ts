/** As-you-type checks of a JSONata expression, the way the server reads it (SPEC 5):
 * `==` is `=`, bare helper names may be called without `$`, and only allowlisted
 * functions may be called. Pure: used by the expression editor and its tests. */
import jsonata from "jsonata";

export interface ExpressionProblem {
  from: number;
  to: number;
  severity: "error" | "warning";
  code: string;
  message: string;
}

/** `==` -> `= ` outside strings, names and comments (same length, so positions hold). */
export function normalise(source: string): string {
  let out = "";
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === '"' || ch === "'" || ch === "`") {
      let j = i + 1;
      while (j < source.length && source[j] !== ch) j += source[j] === "\\" ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j + 1;
    } else if (source.startsWith("/*", i)) {
      const end = source.indexOf("*/", i + 2);
      const j = end < 0 ? source.length : end + 2;
      out += source.slice(i, j);
      i = j;
    } else if (source.startsWith("==", i)) {
      out += "= ";
      i += 2;
    } else {
      out += ch;
      i += 1;
    }
  }
  return out;
}

interface AstNode {
  type?: string;
  value?: unknown;
  position?: number;
  procedure?: AstNode;
  [key: string]: unknown;
}

function calledNames(node: unknown, out: { name: string; position: number }[]): void {
  if (Array.isArray(node)) {
    for (const child of node) calledNames(child, out);
    return;
  }
  if (typeof node !== "object" || node === null) return;
  const n = node as AstNode;
  if ((n.type === "function" || n.type === "partial") && n.procedure?.type === "variable") {
    out.push({ name: String(n.procedure.value), position: n.procedure.position ?? n.position ?? 0 });
  }
  if (n.type === "lambda") out.push({ name: "function", position: n.position ?? 0 });
  for (const [key, value] of Object.entries(n)) {
    if (key !== "procedure" || n.procedure?.type !== "variable") calledNames(value, out);
  }
}

const HELPERS = ["nowIso", "coalesce", "len", "toString", "append"];

/** Rewrite `len(x)` to `$len(x)` for the parser (length changes, so map positions back). */
function dollarHelpers(source: string): { text: string; back: (p: number) => number } {
  const inserted: number[] = [];
  const text = source.replace(new RegExp(`(^|[^$\\w.])(${HELPERS.join("|")})(?=\\s*\\()`, "g"), (_match, pre: string, name: string, offset: number) => {
    inserted.push(offset + pre.length);
    return `${pre}$${name}`;
  });
  return {
    text,
    back: (p) => p - inserted.filter((at, k) => at + k < p).length,
  };
}

export function checkExpression(source: string, allowed?: ReadonlySet<string>): ExpressionProblem[] {
  if (source.trim() === "") {
    return [{ from: 0, to: 0, severity: "error", code: "EMPTY", message: "an expression cannot be empty" }];
  }
  const { text, back } = dollarHelpers(normalise(source));
  let ast: unknown;
  try {
    ast = jsonata(text).ast();
  } catch (raw) {
    const err = raw as { code?: string; position?: number; message?: string; token?: string };
    const atEnd = err.token === "(end)" || err.position === undefined;
    const end = atEnd ? source.length : Math.min(source.length, back(err.position!));
    const width = !atEnd && err.token ? String(err.token).length : 1;
    const from = Math.max(0, end - width);
    return [
      {
        from,
        to: Math.min(source.length, Math.max(from + 1, end)),
        severity: "error",
        code: err.code ?? "S0000",
        message: err.message ?? "syntax error",
      },
    ];
  }
  if (!allowed) return [];
  const calls: { name: string; position: number }[] = [];
  calledNames(ast, calls);
  return calls
    .filter((c) => !allowed.has(c.name))
    .map((c) => {
      const end = back(c.position);
      const from = Math.max(0, end - c.name.length - 1);
      return {
        from,
        to: Math.max(from + 1, end),
        severity: "error" as const,
        code: "DISALLOWED_FUNCTION",
        message:
          c.name === "function"
            ? "user-defined functions are not allowed in the sandbox"
            : `$${c.name} is not in the sandbox allowlist`,
      };
    });
}
