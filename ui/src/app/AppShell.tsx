import { NavLink, Outlet } from "react-router";
import { ProblemAlert, Spinner } from "@/components";
import { useMe } from "@/lib/auth";
import { signOut } from "@/lib/session";

/** Navigation entries; the operations console adds its pages here. */
export const NAV: { to: string; label: string }[] = [
  { to: "/home", label: "Overview" },
  { to: "/runs", label: "Runs" },
  { to: "/definitions", label: "Workflows" },
  { to: "/tasks", label: "Tasks" },
  { to: "/events", label: "Events" },
  { to: "/dead-letters", label: "Dead letters" },
  { to: "/operations", label: "Operations" },
  { to: "/tickets", label: "Help desk" },
];

export function AppShell() {
  const me = useMe();
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="brand" aria-label="Sluice">
          <span className="brand-mark" aria-hidden="true" />
          <span>Sluice</span>
        </div>
        <nav aria-label="Main" className="topnav">
          {NAV.map((item) => (
            <NavLink key={item.to} to={item.to} className={({ isActive }) => (isActive ? "topnav-link active" : "topnav-link")}>
              {item.label}
            </NavLink>
          ))}
        </nav>
        <div className="topbar-user">
          {me.data ? (
            <span className="user-chip" title={`tenant ${me.data.tenantId}`}>
              <span className="user-name">{me.data.subject}</span>
              <span className="user-role">
                {me.data.role} · {me.data.tenantId}
              </span>
            </span>
          ) : null}
          <button type="button" className="btn btn-ghost btn-sm" onClick={() => signOut(null)}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" className="content">
        {me.isPending ? <Spinner label="Checking your token" /> : null}
        {me.error ? <ProblemAlert error={me.error} title="Could not read your token's role" /> : null}
        {me.data ? <Outlet /> : null}
      </main>
    </div>
  );
}
