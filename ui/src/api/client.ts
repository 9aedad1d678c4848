/** The one typed API client (openapi-fetch over the generated `schema.d.ts`).
 * Adds the bearer token; a 401 signs out (back to sign-in with the server's detail);
 * `unwrap` turns any failure into an ApiError carrying the problem+json detail. */
import createClient, { type Middleware } from "openapi-fetch";
import { ApiError, isProblemBody } from "@/lib/problem";
import { getToken, signOut } from "@/lib/session";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

const auth: Middleware = {
  onRequest({ request }) {
    const token = getToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
  async onResponse({ response }) {
    if (response.status === 401) {
      let detail = "the server refused the token";
      try {
        const body: unknown = await response.clone().json();
        if (isProblemBody(body) && body.detail) detail = body.detail;
      } catch {
        /* not JSON: keep the generic detail */
      }
      signOut(`Signed out: ${detail}`);
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(auth);

interface Outcome<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a successful answer, or throw the problem as an ApiError. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.error !== undefined || !outcome.response.ok) {
    const body = isProblemBody(outcome.error) ? outcome.error : null;
    throw new ApiError(
      outcome.response.status,
      body,
      `${outcome.response.status} ${outcome.response.statusText || "error"} from ${new URL(outcome.response.url || "http://x/").pathname}`,
    );
  }
  return outcome.data as T;
}
