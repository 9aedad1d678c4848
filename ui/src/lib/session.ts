/** The bearer token: sessionStorage only (gone when the tab closes), never a cookie
 * or localStorage. `sluice dev` prints a sign-in link carrying the token in the URL
 * fragment (never the query string, so it reaches no server log); it is read once on
 * load and removed from the address bar and history. */
const KEY = "sluice.token";
const listeners = new Set<() => void>();
let notice: string | null = null;

export function getToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string): void {
  sessionStorage.setItem(KEY, token.trim());
  notice = null;
  listeners.forEach((l) => l());
}

/** Forget the token; `reason` is shown on the sign-in page (e.g. the 401's detail). */
export function signOut(reason: string | null = null): void {
  sessionStorage.removeItem(KEY);
  notice = reason;
  listeners.forEach((l) => l());
}

export function takeNotice(): string | null {
  return notice;
}

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Move a `#token=...` fragment into sessionStorage and scrub it from the URL. */
export function adoptFragmentToken(location: Location = window.location, history: History = window.history): boolean {
  const hash = location.hash.startsWith("#") ? location.hash.slice(1) : location.hash;
  const params = new URLSearchParams(hash);
  const token = params.get("token");
  if (!token) return false;
  params.delete("token");
  const rest = params.toString();
  history.replaceState(history.state, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
  setToken(token);
  return true;
}
