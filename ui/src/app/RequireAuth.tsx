import { useSyncExternalStore } from "react";
import { Navigate, useLocation } from "react-router";
import { getToken, subscribe } from "@/lib/session";

/** Pages behind sign-in: without a token (or after a 401), back to /signin. */
export function RequireAuth({ children }: { children: React.ReactNode }) {
  const token = useSyncExternalStore(subscribe, getToken);
  const location = useLocation();
  if (!token) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/signin?next=${next}`} replace />;
  }
  return <>{children}</>;
}
