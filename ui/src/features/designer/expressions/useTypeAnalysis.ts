/** The server's type analysis (`POST /workflow/type-analysis`): the JSON Schema of the
 * envelope each step sees (the field picker) and what publishing would report (shown
 * live on cards and fields). Debounced; while it is unavailable or failing, the
 * designer falls back to the scope computed from the tree. */
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, unwrap } from "@/api/client";
import type { Issue } from "../model/issues";
import type { Definition } from "../model/types";
import { type FieldNode, type Scope, schemaFields } from "./scope";

function group(scope: Record<string, unknown>, name: "payload" | "vars" | "meta" | "error"): FieldNode[] {
  const props = (scope.properties ?? {}) as Record<string, Record<string, unknown>>;
  const sub = props[name];
  if (!sub) return [];
  return schemaFields(sub, name, scope).map((n) => ({ ...n, source: name }));
}

export interface Analysis {
  scopeOf: (stepPath: string | null) => Omit<Scope, "event"> | null;
  issues: Issue[];
}

export function useTypeAnalysis(doc: Definition): Analysis | null {
  const [settled, setSettled] = useState(doc);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettled(doc), 500);
    return () => window.clearTimeout(timer);
  }, [doc]);
  const analysis = useQuery({
    queryKey: ["type-analysis", JSON.stringify(settled)],
    queryFn: async () => unwrap(await api.POST("/workflow/type-analysis", { body: { definition: settled } })),
    staleTime: Infinity,
    retry: false,
    placeholderData: (previous) => previous,
  });
  const data = analysis.data;
  if (!data) return null;
  return {
    issues: data.issues as Issue[],
    scopeOf: (stepPath) => {
      const step = data.steps.find((s) => s.stepPath === stepPath);
      if (!step) return null;
      const scope = step.scope as Record<string, unknown>;
      return { payload: group(scope, "payload"), vars: group(scope, "vars"), meta: group(scope, "meta"), error: group(scope, "error") };
    },
  };
}
