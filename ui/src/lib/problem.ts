/** Failed requests as values: every one carries the server's problem+json `detail`
 * (RFC 9457) so the UI can always say what went wrong. */
export interface ProblemItem {
  pointer: string;
  message: string;
}

export interface ProblemBody {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: ProblemItem[] | null;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly errors: ProblemItem[];

  constructor(status: number, body: ProblemBody | null, fallback: string) {
    const detail = body?.detail ?? body?.title ?? fallback;
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.code = body?.code ?? `HTTP_${status}`;
    this.detail = detail;
    this.errors = body?.errors ?? [];
  }
}

export function isProblemBody(value: unknown): value is ProblemBody {
  return typeof value === "object" && value !== null && ("detail" in value || "title" in value);
}

/** What to show for any thrown value. */
export function describeError(error: unknown): { title: string; detail: string; items: ProblemItem[] } {
  if (error instanceof ApiError) {
    return { title: `${error.code} (${error.status})`, detail: error.detail, items: error.errors };
  }
  if (error instanceof Error) return { title: "Request failed", detail: error.message, items: [] };
  return { title: "Request failed", detail: String(error), items: [] };
}
