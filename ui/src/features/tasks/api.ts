import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, type Schemas, unwrap } from "@/api/client";

export type Task = Schemas["HumanTaskPublic"];
export type Inbox = "open" | "claimed" | "done";
const STATUSES: Record<Inbox, ("OPEN" | "CLAIMED" | "COMPLETED" | "CANCELED")[]> = {
  open: ["OPEN"],
  claimed: ["CLAIMED"],
  done: ["COMPLETED", "CANCELED"],
};
const tasksKey = ["human-tasks"] as const;

export function useTasks(inbox: Inbox) {
  return useQuery({
    queryKey: [...tasksKey, inbox],
    queryFn: async () => unwrap(await api.GET("/human-tasks", { params: { query: { status: STATUSES[inbox], limit: 200 } } })).items,
    refetchInterval: 10_000,
  });
}

export function useClaim() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (taskId: string) => unwrap(await api.POST("/human-tasks/{id}/claim", { params: { path: { id: taskId } } })),
    onSettled: () => client.invalidateQueries({ queryKey: tasksKey }),
  });
}

export function useComplete() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ taskId, output }: { taskId: string; output: unknown }) =>
      unwrap(await api.POST("/human-tasks/{id}/complete", { params: { path: { id: taskId } }, body: output as never })),
    onSuccess: () => client.invalidateQueries({ queryKey: tasksKey }),
  });
}
