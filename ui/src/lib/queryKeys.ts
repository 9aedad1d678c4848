/** Query keys shared across features (a mutation in one invalidates the other's list). */
export const keys = {
  definitions: ["definitions"] as const,
  definition: (id: string) => ["definitions", id] as const,
  draft: (id: string) => ["definitions", id, "draft"] as const,
  version: (id: string, version: number) => ["definitions", id, "version", version] as const,
  registry: (what: "nodes" | "actions" | "schemas" | "functions") => ["registry", what] as const,
  run: (runId: string) => ["runs", runId] as const,
  runs: ["runs"] as const,
};
