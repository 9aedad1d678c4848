/** The server's type analysis (`POST /workflow/type-analysis`, when the API has it):
 * the JSON Schema of the envelope each step sees. Until then (404/405) the field picker
 * uses the scope computed from the tree. */
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { getToken } from "@/lib/session";
import type { Definition } from "../model/types";
import { schemaFields, type FieldNode, type Scope } from "./scope";

interface Analysis {
  steps: { stepPath: string; stepId?: string; scope: Record<string, unknown> }[];
}

let unsupported = false;

async function analyse(doc: Definition): Promise<Analysis | null> {
  if (unsupported) return null;
  const response = await fetch(`${window.location.origin}/workflow/type-analysis`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${getToken() ?? ""}` },
    body: JSON.stringify({ definition: doc }),
  });
  if (response.status === 404 || response.status === 405) {
    unsupported = true;
    return null;
  }
  if (!response.ok) return null;
  return (await response.json()) as Analysis;
}

function group(scope: Record<string, unknown>, name: keyof Scope): FieldNode[] {
  const props = (scope.properties ?? {}) as Record<string, Record<string, unknown>>;
  const sub = props[name];
  if (!sub) return [];
  return schemaFields(sub, name, scope).map((n) => ({ ...n, source: name }));
}

export function useTypeAnalysis(doc: Definition, stepPath: string | null): Scope | null {
  const [settled, setSettled] = useState(doc);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettled(doc), 600);
    return () => window.clearTimeout(timer);
  }, [doc]);
  const analysis = useQuery({
    queryKey: ["type-analysis", JSON.stringify(settled)],
    queryFn: () => analyse(settled),
    staleTime: Infinity,
    retry: false,
    enabled: !unsupported && stepPath !== null,
  });
  const step = analysis.data?.steps.find((s) => s.stepPath === stepPath);
  if (!step) return null;
  return { payload: group(step.scope, "payload"), vars: group(step.scope, "vars"), meta: group(step.scope, "meta"), error: group(step.scope, "error"), event: group(step.scope, "event") };
}
