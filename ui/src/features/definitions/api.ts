import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, type Schemas, unwrap } from "@/api/client";
import { keys } from "@/lib/queryKeys";

export type DefinitionSummary = Schemas["DefinitionPublic"];

/** Every definition of the tenant (pages followed; a tenant has tens, not thousands). */
export function useDefinitions() {
  return useQuery({
    queryKey: keys.definitions,
    queryFn: async () => {
      const items: DefinitionSummary[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 20; page++) {
        const data = unwrap(await api.GET("/workflow-definitions", { params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } } }));
        items.push(...data.items);
        if (!data.nextCursor) break;
        cursor = data.nextCursor;
      }
      return items;
    },
  });
}

export interface NewDefinition {
  name: string;
  description?: string;
  eventName?: string;
}

export function useCreateDefinition() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (input: NewDefinition) => {
      const body: Record<string, unknown> = { name: input.name, steps: [] };
      if (input.description) body.description = input.description;
      if (input.eventName) body.trigger = { type: "event", eventName: input.eventName };
      return unwrap(await api.POST("/workflow-definitions", { body }));
    },
    onSuccess: () => client.invalidateQueries({ queryKey: keys.definitions }),
  });
}
