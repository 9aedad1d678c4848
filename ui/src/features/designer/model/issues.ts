/** Publish errors located on the tree: the step (by stepPath) and, when the message
 * starts with where it points (`config.args.email: ...`, `config/version: ...`,
 * `condition: ...`), the field. */
export interface Issue {
  severity: "error" | "warning";
  stepPath: string;
  stepId?: string | null;
  code: string;
  message: string;
}

const WHERE = /^((?:config|condition|items|itemVar|concurrency|onItemError|captureErrorAs|workflowId|workflowVersion|inputMapping|outputMapping|retry|onError|id|name|type|trigger|payloadSchemaRef)(?:\.[A-Za-z0-9_$]+|\[(?:'[^']*'|"[^"]*"|\d+)\]|\/[A-Za-z0-9_$~-]+)*)(?::|\s)/;

/** The field an issue points at, as "/"-joined segments without the leading `config`
 * (`args/email`, `version`, `condition`), or null. */
export function issueField(message: string): string | null {
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
      const f = issueField(i.message);
      return f !== null && (f === field || f.startsWith(field + "/"));
    })
    .map((i) => `${i.severity === "error" ? "Error" : "Warning"} ${i.code}: ${i.message}`);
}
