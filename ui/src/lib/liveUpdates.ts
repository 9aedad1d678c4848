/** Live run updates (`GET /workflow-runs/updates`, server-sent events) read with
 * `fetch`, so the bearer token goes in the Authorization header like every request
 * (EventSource cannot set headers, and a token in the query string would land in
 * access logs). The stream resumes with `Last-Event-ID` after a drop; while it is
 * down the caller polls (`state` says which). */
import { useEffect, useRef, useState } from "react";
import { getToken, signOut } from "@/lib/session";

export interface RunUpdate {
  runId: string;
  status: string;
  previousStatus?: string;
  nodePath?: string;
  state?: string | null;
  workflowId?: string;
  error?: unknown;
  type: string;
  occurredAt: string;
}

/** connecting: first attempt; live: the stream is open; polling: it dropped (the
 * caller refetches on a timer) and a reconnect is scheduled. */
export type StreamState = "connecting" | "live" | "polling";

export interface StreamHandlers {
  onUpdate: (update: RunUpdate) => void;
  /** The server could not replay everything since the last event: refetch. */
  onResync: () => void;
  onState: (state: StreamState) => void;
}

interface SseEvent {
  event: string;
  id: string | null;
  data: string;
}

/** Split a text/event-stream body into events (comment lines are heartbeats). */
export function parseEvents(buffer: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  const blocks = buffer.replace(/\r\n?/g, "\n").split("\n\n");
  const rest = blocks.pop() ?? "";
  for (const block of blocks) {
    let event = "message";
    let id: string | null = null;
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":") || line === "") continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event = value;
      else if (field === "id") id = value;
      else if (field === "data") data.push(value);
    }
    if (data.length > 0 || id !== null) events.push({ event, id, data: data.join("\n") });
  }
  return { events, rest };
}

const RETRY_MS = [1000, 2000, 5000, 10_000, 30_000];

/** Keep a stream open until `signal` aborts; returns when it does. */
export async function followRunUpdates(runId: string | null, handlers: StreamHandlers, signal: AbortSignal): Promise<void> {
  let lastId: string | null = null;
  let failures = 0;
  handlers.onState("connecting");
  while (!signal.aborted) {
    try {
      const headers: Record<string, string> = { Accept: "text/event-stream" };
      const token = getToken();
      if (token) headers.Authorization = `Bearer ${token}`;
      if (lastId) headers["Last-Event-ID"] = lastId;
      const query = runId ? `?runId=${encodeURIComponent(runId)}` : "";
      const response = await fetch(`/workflow-runs/updates${query}`, { headers, signal, cache: "no-store" });
      if (response.status === 401) {
        signOut("Signed out: the server refused the token");
        return;
      }
      if (!response.ok || !response.body) throw new Error(`live updates answered ${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const parsed = parseEvents(buffer + value);
        buffer = parsed.rest;
        for (const event of parsed.events) {
          if (event.id) lastId = event.id;
          if (event.event === "ready") {
            failures = 0;
            handlers.onState("live");
          } else if (event.event === "resync") handlers.onResync();
          else if (event.event === "update") handlers.onUpdate(JSON.parse(event.data) as RunUpdate);
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      void error; // the stream dropped or never opened: poll until the reconnect
    }
    if (signal.aborted) return;
    handlers.onState("polling");
    handlers.onResync(); // whatever happened while the stream was down
    const wait = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)] ?? 30_000;
    failures += 1;
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, wait);
      signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
    });
  }
}

/** Follow the updates of one run (or of every run of the tenant with `null`) while
 * the component is mounted. `onChange` gets each update, and `null` after a resync. */
export function useRunUpdates(runId: string | null, onChange: (update: RunUpdate | null) => void, enabled = true): StreamState {
  const [state, setState] = useState<StreamState>("connecting");
  const callback = useRef(onChange);
  useEffect(() => {
    callback.current = onChange;
  });
  useEffect(() => {
    if (!enabled) return undefined;
    const controller = new AbortController();
    void followRunUpdates(
      runId,
      { onUpdate: (u) => callback.current(u), onResync: () => callback.current(null), onState: setState },
      controller.signal,
    );
    return () => controller.abort();
  }, [runId, enabled]);
  return state;
}
