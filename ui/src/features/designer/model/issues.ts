/** Publish errors located on the tree: the step (by stepPath) and, when the message
 * starts with where it points (`config.args.email: ...`, `config/version: ...`,
 * `condition: ...`), the field. */
import { parsePath } from "./paths";

export interface Issue {
  severity: "error" | "warning";
  stepPath: string;
  stepId?: string | null;
  code: string;
  message: string;
  /** JSON pointer of the value at fault in the definition document, when the server knows it. */
  pointer?: string | null;
}

/** The JSON pointer of the step at `stepPath` (`root.steps[1].then.steps[0]` -> `/steps/1/then/0`). */
export function stepPointer(stepPath: string): string | null {
  const segments = parsePath(stepPath);
  if (!segments) return null;
  return segments.map((s) => (s.branch ? `/${s.branch}/${s.index}` : `/steps/${s.index}`)).join("");
}

function fieldOfPointer(issue: Issue): string | null {
  if (!issue.pointer) return null;
  const base = stepPointer(issue.stepPath);
  if (base === null || !issue.pointer.startsWith(base + "/")) return null;
  const segments = issue.pointer
    .slice(base.length + 1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (segments[0] === "config") segments.shift();
  return segments.length ? segments.join("/") : null;
}

const WHERE = /^((?:config|condition|items|itemVar|concurrency|onItemError|captureErrorAs|workflowId|workflowVersion|inputMapping|outputMapping|retry|onError|id|name|type|trigger|payloadSchemaRef)(?:\.[A-Za-z0-9_$]+|\[(?:'[^']*'|"[^"]*"|\d+)\]|\/[A-Za-z0-9_$~-]+)*)(?::|\s)/;

/** The field an issue points at, as "/"-joined segments without the leading `config`
 * (`args/email`, `version`, `condition`), or null: from its pointer when it has one,
 * else from where its message says it points. */
export function issueField(issue: Issue): string | null {
  return fieldOfPointer(issue) ?? fieldOfMessage(issue.message);
}

export function fieldOfMessage(message: string): string | null {
  const match = WHERE.exec(message);
  if (!match) return null;
  const segments: string[] = [];
  const re = /([A-Za-z0-9_$~-]+)|\['([^']*)'\]|\["([^"]*)"\]|\[(\d+)\]/g;
  for (const m of match[1]!.matchAll(re)) segments.push(m[1] ?? m[2] ?? m[3] ?? m[4] ?? "");
  if (segments[0] === "config") segments.shift();
  return segments.length ? segments.join("/") : null;
}

/** Messages of `issues` whose field is `field` or lies under it. */
export function messagesForField(issues: readonly Issue[], field: string): string[] {
  return issues
    .filter((i) => {
      const f = issueField(i);
      return f !== null && (f === field || f.startsWith(field + "/"));
    })
    .map((i) => `${i.severity === "error" ? "Error" : "Warning"} ${i.code}: ${i.message}`);
}
