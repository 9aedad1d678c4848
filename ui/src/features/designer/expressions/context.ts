import { createContext, useContext } from "react";
import type { Scope } from "./scope";

/** What every expression editor of the designer shares: the sandbox allowlist, the
 * scope of the selected step, and the sample data "try it" evaluates against. */
export interface ExpressionEnv {
  functions: readonly { name: string; callAs: string[] }[];
  allowed: ReadonlySet<string> | undefined;
  scope: Scope;
  sample: { payload: string; vars: string };
  setSample: (sample: { payload: string; vars: string }) => void;
  /** Where the scope came from ("server" type analysis, or "client" from the tree). */
  scopeSource: "server" | "client";
}

export const emptyScope: Scope = { payload: [], vars: [], meta: [], error: [], event: [] };

export const ExpressionEnvContext = createContext<ExpressionEnv>({
  functions: [],
  allowed: undefined,
  scope: emptyScope,
  sample: { payload: "{}", vars: "{}" },
  setSample: () => undefined,
  scopeSource: "client",
});

export function useExpressionEnv(): ExpressionEnv {
  return useContext(ExpressionEnvContext);
}
