/** Server state of the designer: the draft (with its ETag), versions, the registry,
 * publishing, shadow runs, the expression preview and run starts. */
import { useMutation, useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, type Schemas, unwrap } from "@/api/client";
import { ApiError } from "@/lib/problem";
import { keys } from "@/lib/queryKeys";
import type { Definition } from "./model/types";

export type VersionRecord = Schemas["DefinitionVersionPublic"];
export type PublishResult = Schemas["PublishResult"];
export type PublishIssue = Schemas["PublishErrorPublic"];
export type NodeType = Schemas["NodeTypePublic"];
export type ActionSpec = Schemas["ActionPublic"];
export type RunRecord = Schemas["RunPublic"];

export interface Draft {
  record: VersionRecord;
  etag: string | null;
}

export async function fetchDraft(id: string): Promise<Draft> {
  const outcome = await api.GET("/workflow-definitions/{id}/{version}", { params: { path: { id, version: "draft" } } });
  return { record: unwrap(outcome), etag: outcome.response.headers.get("ETag") };
}

export function useDraft(id: string) {
  return useQuery({ queryKey: keys.draft(id), queryFn: () => fetchDraft(id), staleTime: Infinity });
}

/** PUT the draft; with `etag` the server refuses (412) a draft changed elsewhere. */
export async function saveDraft(id: string, doc: Definition, etag: string | null): Promise<Draft> {
  const outcome = await api.PUT("/workflow-definitions/{id}/{version}", {
    params: { path: { id, version: "draft" } },
    body: doc,
    headers: etag ? { "If-Match": etag } : {},
  });
  return { record: unwrap(outcome), etag: outcome.response.headers.get("ETag") };
}

export function isConflict(error: unknown): boolean {
  return error instanceof ApiError && error.status === 412;
}

export function usePublish(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (): Promise<PublishResult> =>
      unwrap(await api.POST("/workflow-definitions/{id}/{version}/publish", { params: { path: { id, version: "draft" } } })),
    onSuccess: (result) => {
      if (result.ok) void client.invalidateQueries({ queryKey: keys.definitions });
    },
  });
}

export type ShadowReport = Schemas["ShadowRunReport"];
export type ShadowRunResult = Schemas["ShadowRunPublic"];

/** Replay the newest finished runs through the saved draft, in memory (nothing is written). */
export function useShadowRuns(id: string) {
  return useMutation({
    mutationFn: async (sample: number): Promise<ShadowReport> =>
      unwrap(await api.POST("/workflow-definitions/{id}/draft/shadow-runs", { params: { path: { id } }, body: { sample } })),
  });
}

export function useVersion(id: string, version: number | "draft" | null) {
  return useQuery({
    queryKey: version === "draft" ? [...keys.draft(id), "view"] : keys.version(id, version ?? 0),
    enabled: version !== null,
    queryFn: async () =>
      unwrap(await api.GET("/workflow-definitions/{id}/{version}", { params: { path: { id, version: String(version) } } })),
    staleTime: version === "draft" ? 0 : Infinity,
  });
}

/** Published versions 1..latest (who and when), newest first. */
export function useVersions(id: string, latest: number | null | undefined) {
  const numbers = latest ? Array.from({ length: latest }, (_, i) => latest - i) : [];
  return useQueries({
    queries: numbers.map((n) => ({
      queryKey: keys.version(id, n),
      queryFn: async () =>
        unwrap(await api.GET("/workflow-definitions/{id}/{version}", { params: { path: { id, version: String(n) } } })),
      staleTime: Infinity,
    })),
  });
}

export function useDefinitionSummary(id: string) {
  return useQuery({
    queryKey: [...keys.definitions, "summary", id],
    queryFn: async () => {
      let cursor: string | undefined;
      for (let page = 0; page < 20; page++) {
        const data = unwrap(await api.GET("/workflow-definitions", { params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } } }));
        const found = data.items.find((d) => d.id === id);
        if (found) return found;
        if (!data.nextCursor) break;
        cursor = data.nextCursor;
      }
      return null;
    },
  });
}

export function useRegistry() {
  const nodes = useQuery({
    queryKey: keys.registry("nodes"),
    queryFn: async () => unwrap(await api.GET("/workflow/registry/nodes")).items,
    staleTime: Infinity,
  });
  const actions = useQuery({
    queryKey: keys.registry("actions"),
    queryFn: async () => unwrap(await api.GET("/workflow/registry/actions")).items,
    staleTime: Infinity,
  });
  const schemas = useQuery({
    queryKey: keys.registry("schemas"),
    queryFn: async () => unwrap(await api.GET("/workflow/registry/schemas")).items,
    staleTime: Infinity,
  });
  const functions = useQuery({
    queryKey: keys.registry("functions"),
    queryFn: async () => unwrap(await api.GET("/workflow/registry/functions")).items,
    staleTime: Infinity,
  });
  return { nodes, actions, schemas, functions };
}

export interface EvaluateInput {
  expression: string;
  payload: unknown;
  vars: unknown;
  meta: unknown;
  error: unknown;
}

export type EvaluateResult = Schemas["ExpressionPreviewResult"];

export function useEvaluate() {
  return useMutation({
    mutationFn: async (input: EvaluateInput): Promise<EvaluateResult> => {
      const body = input as Schemas["ExpressionPreviewRequest"];
      return unwrap(await api.POST("/workflow/expressions/evaluate", { body }));
    },
  });
}

export function useStartRun() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (input: { workflowId: string; version?: number; payload: Record<string, unknown> }) =>
      unwrap(await api.POST("/workflow-runs", { body: input as Schemas["RunCreate"] })),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.runs }),
  });
}

const FINISHED = new Set(["SUCCEEDED", "FAILED", "CANCELED"]);

export function useRun(runId: string | null) {
  return useQuery({
    queryKey: keys.run(runId ?? ""),
    enabled: Boolean(runId),
    queryFn: async () => unwrap(await api.GET("/workflow-runs/{runId}", { params: { path: { runId: runId! } } })),
    refetchInterval: (query) => (query.state.data && FINISHED.has(query.state.data.status) ? false : 700),
  });
}
