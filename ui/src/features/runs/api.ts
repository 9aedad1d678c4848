import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, type Schemas, unwrap } from "@/api/client";
import { keys } from "@/lib/queryKeys";

export type Run = Schemas["RunPublic"];
export type StepAttempt = Schemas["StepAttemptPublic"];
export type Snapshot = Schemas["SnapshotPublic"];
export type Invocation = Schemas["InvocationPublic"];
export type SideEffect = Schemas["SideEffectPublic"];
export type Wait = Schemas["WaitPublic"];
export type LogEntry = Schemas["LogPublic"];
export type AuditEvent = Schemas["AuditEventPublic"];

export const STATUSES = ["QUEUED", "RUNNING", "WAITING", "SUCCEEDED", "FAILED", "CANCELED"] as const;
export const TRIGGERS = ["api", "event", "child"] as const;
export type Status = (typeof STATUSES)[number];
export type Trigger = (typeof TRIGGERS)[number];

/** The run list's filters, as the URL carries them. */
export interface RunFilters {
  status: Status[];
  trigger: Trigger[];
  workflowId?: string;
  version?: number;
  from?: string;
  to?: string;
  q?: string;
}

function query(filters: RunFilters) {
  return {
    ...(filters.status.length ? { status: filters.status } : {}),
    ...(filters.trigger.length ? { trigger: filters.trigger } : {}),
    ...(filters.workflowId ? { workflowId: filters.workflowId } : {}),
    ...(filters.version ? { version: filters.version } : {}),
    ...(filters.from ? { from: filters.from } : {}),
    ...(filters.to ? { to: filters.to } : {}),
    ...(filters.q ? { q: filters.q } : {}),
  };
}

export function useRuns(filters: RunFilters, cursor: string | null) {
  return useQuery({
    queryKey: [...keys.runs, "list", filters, cursor],
    queryFn: async () =>
      unwrap(await api.GET("/workflow-runs", { params: { query: { ...query(filters), limit: 50, ...(cursor ? { cursor } : {}) } } })),
    placeholderData: keepPreviousData,
  });
}

/** Counts per status of what the list shows (its status filter aside). */
export function useRunCounts(filters: RunFilters) {
  const { status: _ignored, ...rest } = filters;
  return useQuery({
    queryKey: [...keys.runs, "summary", rest],
    queryFn: async () => unwrap(await api.GET("/workflow-runs/summary", { params: { query: { ...query({ ...rest, status: [] }), bucket: "day" } } })),
    placeholderData: keepPreviousData,
  });
}

export function useRun(runId: string, poll: number | false) {
  return useQuery({
    queryKey: keys.run(runId),
    queryFn: async () => unwrap(await api.GET("/workflow-runs/{runId}", { params: { path: { runId } } })),
    refetchInterval: poll,
  });
}

type HistoryPath =
  | "/workflow-runs/{runId}/steps"
  | "/workflow-runs/{runId}/snapshots"
  | "/workflow-runs/{runId}/invocations"
  | "/workflow-runs/{runId}/side-effects"
  | "/workflow-runs/{runId}/waits"
  | "/workflow-runs/{runId}/logs";

/** Every page of one of the run's histories (a run has hundreds of entries, not millions;
 * stops after 20 pages of 500). */
async function allPages<T>(path: HistoryPath, runId: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 20; page++) {
    const params = { path: { runId }, query: { limit: 500, ...(cursor ? { cursor } : {}) } };
    const data = unwrap(await api.GET(path, { params })) as { items: T[]; nextCursor?: string | null };
    items.push(...data.items);
    if (!data.nextCursor) break;
    cursor = data.nextCursor;
  }
  return items;
}

export function useRunHistory(runId: string, poll: number | false) {
  const what = <T,>(name: string, path: HistoryPath) =>
    ({ queryKey: [...keys.run(runId), name], queryFn: () => allPages<T>(path, runId), refetchInterval: poll }) as const;
  const steps = useQuery(what<StepAttempt>("steps", "/workflow-runs/{runId}/steps"));
  const snapshots = useQuery(what<Snapshot>("snapshots", "/workflow-runs/{runId}/snapshots"));
  const invocations = useQuery(what<Invocation>("invocations", "/workflow-runs/{runId}/invocations"));
  const waits = useQuery(what<Wait>("waits", "/workflow-runs/{runId}/waits"));
  const logs = useQuery(what<LogEntry>("logs", "/workflow-runs/{runId}/logs"));
  return { steps, snapshots, invocations, waits, logs };
}

/** The run's side-effect ledger (GET /workflow-runs/{runId}/side-effects). */
export function useRunSideEffects(runId: string, poll: number | false) {
  return useQuery({
    queryKey: [...keys.run(runId), "side-effects"],
    queryFn: () => allPages<SideEffect>("/workflow-runs/{runId}/side-effects", runId),
    refetchInterval: poll,
  });
}

export function useRunAudit(runId: string) {
  return useQuery({
    queryKey: [...keys.run(runId), "audit"],
    queryFn: async () => unwrap(await api.GET("/audit-events", { params: { query: { target: runId, limit: 50 } } })).items,
  });
}

export function useDefinitionVersion(workflowId: string | undefined, version: number | undefined) {
  return useQuery({
    queryKey: ["definitions", workflowId, "version", version],
    enabled: Boolean(workflowId && version),
    queryFn: async () =>
      unwrap(await api.GET("/workflow-definitions/{id}/{version}", { params: { path: { id: workflowId ?? "", version: String(version) } } })),
    staleTime: Infinity, // published versions never change
  });
}

export type Control = "cancel" | "resume" | "retry" | "replay";

export interface ControlInput {
  action: Control;
  reason: string;
  payload?: unknown;
  vars?: unknown;
  version?: number;
}

export function useControl(runId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ action, reason, payload, vars, version }: ControlInput): Promise<Run> => {
      const path = { params: { path: { runId } } };
      if (action === "cancel") return unwrap(await api.POST("/workflow-runs/{runId}/cancel", { ...path, body: { reason } }));
      if (action === "resume") return unwrap(await api.POST("/workflow-runs/{runId}/resume", { ...path, body: { reason, payload } }));
      if (action === "retry")
        return unwrap(
          await api.POST("/workflow-runs/{runId}/retry", {
            ...path,
            body: { reason, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}), ...(vars !== undefined ? { vars: vars as Record<string, unknown> } : {}) },
          }),
        );
      return unwrap(
        await api.POST("/workflow-runs/{runId}/replay", {
          ...path,
          body: { reason, ...(version ? { version } : {}), ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) },
        }),
      );
    },
    onSuccess: () => client.invalidateQueries({ queryKey: keys.runs }),
  });
}

export type BulkAction = "cancel" | "resume" | "retry" | "replay";
export type BulkOperation = Schemas["OperationPublic"];
export type BulkDryRun = Schemas["BulkDryRunPublic"];
/** Which runs: listed, or every run the list's filters match (that the action applies to). */
export type BulkTarget = { runIds: string[] } | { filters: RunFilters };

/** The run list's filters as a bulk or export request's `filter`. */
export function bodyFilter(filters: RunFilters): Schemas["RunListFilter"] {
  return query(filters) as Schemas["RunListFilter"];
}

function targetBody(target: BulkTarget) {
  return "runIds" in target ? { runIds: target.runIds } : { filter: bodyFilter(target.filters) };
}

async function postBulk(action: BulkAction, body: Record<string, unknown>) {
  const path = `/workflow-runs/bulk/${action}` as "/workflow-runs/bulk/cancel";
  return unwrap(await api.POST(path, { body: body as Schemas["BulkCancelRequest"] }));
}

/** What a bulk action would touch (a dry run: nothing is done). */
export function useBulkDryRun(action: BulkAction, target: BulkTarget) {
  return useQuery({
    queryKey: [...keys.runs, "bulk-dry-run", action, target],
    queryFn: async () => (await postBulk(action, { ...targetBody(target), reason: "dry run", dryRun: true })) as unknown as BulkDryRun,
  });
}

/** Start a bulk operation; the API answers at once with it (it runs in the background). */
export function useBulkOperation() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ action, reason, target }: { action: BulkAction; reason: string; target: BulkTarget }) =>
      (await postBulk(action, { ...targetBody(target), reason })) as BulkOperation,
    onSettled: () => client.invalidateQueries({ queryKey: keys.runs }),
  });
}

/** Export the runs the list's filters match (with their history, redacted). */
export function useStartExport() {
  return useMutation({
    mutationFn: async (filters: RunFilters) => unwrap(await api.POST("/exports", { body: { filter: bodyFilter(filters) } })),
  });
}
