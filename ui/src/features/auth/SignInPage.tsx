import { type FormEvent, useState } from "react";
import { Navigate, useSearchParams } from "react-router";
import { Button } from "@/components";
import { getToken, setToken, takeNotice } from "@/lib/session";

/** Paste a bearer token (`sluice tokens create`), or open the sign-in link that
 * `sluice dev` prints. The token is kept in this tab's sessionStorage only. */
export function SignInPage() {
  const [params] = useSearchParams();
  const [value, setValue] = useState("");
  const [signedIn, setSignedIn] = useState(Boolean(getToken()));
  const notice = takeNotice();
  const next = params.get("next") ?? "/definitions";
  if (signedIn) return <Navigate to={next.startsWith("/") ? next : "/definitions"} replace />;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!value.trim()) return;
    setToken(value);
    setSignedIn(true);
  };
  return (
    <main className="signin">
      <form className="signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <div className="brand brand-large" aria-hidden="true">
          <span className="brand-mark" /> Sluice
        </div>
        <h1 id="signin-title">Sign in</h1>
        <p className="muted">
          Paste an API token. <code>sluice dev</code> prints a sign-in link; otherwise create one with{" "}
          <code>sluice tokens create --tenant demo --role workflow.admin</code>.
        </p>
        {notice ? (
          <p role="alert" className="alert alert-warning">
            {notice}
          </p>
        ) : null}
        <label className="field">
          <span className="field-label">API token</span>
          <input
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={value}
            onChange={(e) => setValue(e.target.value)}
            placeholder="slc_…"
            required
          />
        </label>
        <p className="field-help">Kept in this browser tab only (sessionStorage); closing the tab signs you out.</p>
        <Button type="submit" variant="primary">
          Sign in
        </Button>
      </form>
    </main>
  );
}
