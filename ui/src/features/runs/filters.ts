/** The run list's filters <-> the URL's search params (shareable, back-button safe).
 * Quick ranges are kept as `range=1h|24h|7d` (relative: a shared link means "the
 * last hour" when opened), explicit bounds as `from` / `to`. */
import { type RunFilters, STATUSES, type Status, TRIGGERS, type Trigger } from "./api";

export const RANGES = { "1h": 3_600_000, "24h": 86_400_000, "7d": 604_800_000 } as const;
export type Range = keyof typeof RANGES;

export interface ListState {
  filters: RunFilters;
  range: Range | null;
  cursor: string | null;
}

/** `now` is rounded to the minute so a relative range keeps one query key for a minute. */
export function readFilters(params: URLSearchParams, now: number = Date.now()): ListState {
  const status = params.getAll("status").filter((s): s is Status => (STATUSES as readonly string[]).includes(s));
  const trigger = params.getAll("trigger").filter((t): t is Trigger => (TRIGGERS as readonly string[]).includes(t));
  const rangeParam = params.get("range");
  const range = rangeParam && rangeParam in RANGES ? (rangeParam as Range) : null;
  const minute = Math.floor(now / 60_000) * 60_000;
  const version = Number(params.get("version"));
  const filters: RunFilters = {
    status,
    trigger,
    ...(params.get("workflowId") ? { workflowId: params.get("workflowId") ?? undefined } : {}),
    ...(Number.isInteger(version) && version > 0 ? { version } : {}),
    ...(range ? { from: new Date(minute - RANGES[range]).toISOString() } : params.get("from") ? { from: params.get("from") ?? undefined } : {}),
    ...(params.get("to") ? { to: params.get("to") ?? undefined } : {}),
    ...(params.get("q") ? { q: params.get("q") ?? undefined } : {}),
  };
  return { filters, range, cursor: params.get("cursor") };
}

/** New search params: `changes` applied, the page cursor dropped (a new filter starts
 * at the first page). A value of null or [] removes the parameter. */
export function withParams(params: URLSearchParams, changes: Record<string, string | string[] | null>): URLSearchParams {
  const next = new URLSearchParams(params);
  next.delete("cursor");
  for (const [key, value] of Object.entries(changes)) {
    next.delete(key);
    if (Array.isArray(value)) value.forEach((v) => next.append(key, v));
    else if (value !== null && value !== "") next.set(key, value);
  }
  return next;
}
