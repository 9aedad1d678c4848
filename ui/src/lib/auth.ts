/** Who the token is (`GET /auth/me`) and what its role allows (roles nest, SPEC 13). */
import { useQuery } from "@tanstack/react-query";
import { api, type Schemas, unwrap } from "@/api/client";

export const ROLES = ["workflow.view", "workflow.manage", "workflow.publish", "workflow.admin"] as const;
export type Role = (typeof ROLES)[number];

export type Me = Schemas["WhoAmI"];

export const meKey = ["auth", "me"] as const;

export function useMe() {
  return useQuery({
    queryKey: meKey,
    queryFn: async (): Promise<Me> => unwrap(await api.GET("/auth/me")),
    staleTime: 5 * 60_000,
    retry: false,
  });
}

export function allows(me: Me | undefined, role: Role): boolean {
  if (!me) return false;
  if (me.grants?.length) return me.grants.includes(role);
  const held = ROLES.indexOf(me.role as Role);
  return held >= 0 && held >= ROLES.indexOf(role);
}

/** Why a control is disabled, or null when the role allows it. */
export function roleReason(me: Me | undefined, role: Role, what: string): string | null {
  if (allows(me, role)) return null;
  return `${what} needs the ${role} role; this token has ${me?.role ?? "no role"}.`;
}
