import { useQuery } from "@tanstack/react-query";
import { api, type Schemas, unwrap } from "@/api/client";
import { getToken } from "@/lib/session";

export type Operation = Schemas["OperationPublic"];
export type Outcome = Schemas["OperationItemPublic"];

export const operationsKey = ["operations"] as const;
const POLL_MS = 1000;
const pollWhileUnfinished = (operations: Operation[] | undefined) =>
  operations?.some((o) => o.status !== "COMPLETED") ? POLL_MS : false;

export function useBulkOperations() {
  return useQuery({
    queryKey: [...operationsKey, "bulk"],
    queryFn: async () => unwrap(await api.GET("/bulk-operations", { params: { query: { limit: 50 } } })).items,
    refetchInterval: (query) => pollWhileUnfinished(query.state.data),
  });
}

export function useExports() {
  return useQuery({
    queryKey: [...operationsKey, "exports"],
    queryFn: async () => unwrap(await api.GET("/exports", { params: { query: { limit: 50 } } })).items,
    refetchInterval: (query) => pollWhileUnfinished(query.state.data),
  });
}

/** A bulk operation, polled every second until it is COMPLETED. */
export function useBulkOperation(id: string) {
  return useQuery({
    queryKey: [...operationsKey, "bulk", id],
    queryFn: async () => unwrap(await api.GET("/bulk-operations/{id}", { params: { path: { id } } })),
    refetchInterval: (query) => pollWhileUnfinished(query.state.data ? [query.state.data] : undefined),
  });
}

/** One page of its per-run outcomes (``ok``: only successes or only refusals). */
export function useOutcomes(id: string, ok: boolean | undefined, cursor: string | null, operation: Operation | undefined) {
  return useQuery({
    queryKey: [...operationsKey, "bulk", id, "runs", ok, cursor, operation?.done],
    queryFn: async () =>
      unwrap(
        await api.GET("/bulk-operations/{id}/runs", {
          params: { path: { id }, query: { limit: 100, ...(ok === undefined ? {} : { ok }), ...(cursor ? { cursor } : {}) } },
        }),
      ),
    enabled: operation !== undefined,
  });
}

/** Fetch an export's JSON Lines with the token and hand them to the browser as a file. */
export async function downloadExport(operation: Operation): Promise<void> {
  const response = await fetch(`/exports/${operation.operationId}/download`, { headers: { Authorization: `Bearer ${getToken() ?? ""}` } });
  if (!response.ok) throw new Error(`${response.status} ${response.statusText}: ${await response.text()}`);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = `runs-${operation.operationId}.jsonl`;
  link.click();
  URL.revokeObjectURL(url);
}
