/** Draft autosave with a conflict check: every PUT carries the ETag of the draft this
 * editor last read or wrote (If-Match); a draft changed elsewhere answers 412 and
 * nothing is overwritten until the user chooses. */
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { keys } from "@/lib/queryKeys";
import { isConflict, saveDraft } from "../api";
import type { Definition } from "../model/types";

export type SaveState = { kind: "saved" } | { kind: "dirty" } | { kind: "saving" } | { kind: "conflict"; error: unknown } | { kind: "failed"; error: unknown };

export function useAutosave({ id, doc, revision, savedRevision, markSaved, initialEtag, enabled, delayMs = 700 }: { id: string; doc: Definition; revision: number; savedRevision: number; markSaved: (revision: number) => void; initialEtag: string | null; enabled: boolean; delayMs?: number }) {
  const client = useQueryClient();
  const etag = useRef(initialEtag);
  const [state, setState] = useState<SaveState>({ kind: "saved" });
  const inflight = useRef<Promise<boolean> | null>(null);
  const latest = useRef({ doc, revision });
  latest.current = { doc, revision };

  const save = useCallback(
    async (force = false): Promise<boolean> => {
      if (inflight.current) await inflight.current;
      const { doc: current, revision: rev } = latest.current;
      const run = (async () => {
        setState({ kind: "saving" });
        try {
          const saved = await saveDraft(id, current, force ? null : etag.current);
          etag.current = saved.etag;
          client.setQueryData(keys.draft(id), saved);
          void client.invalidateQueries({ queryKey: keys.definitions, exact: true });
          markSaved(rev);
          setState(rev === latest.current.revision ? { kind: "saved" } : { kind: "dirty" });
          return true;
        } catch (error) {
          setState(isConflict(error) ? { kind: "conflict", error } : { kind: "failed", error });
          return false;
        }
      })();
      inflight.current = run;
      try {
        return await run;
      } finally {
        inflight.current = null;
      }
    },
    [id, client, markSaved],
  );

  useEffect(() => {
    if (!enabled || revision <= savedRevision) return;
    if (state.kind === "conflict") return;
    setState((s) => (s.kind === "saving" ? s : { kind: "dirty" }));
    const timer = window.setTimeout(() => void save(), delayMs);
    return () => window.clearTimeout(timer);
    // state.kind deliberately left out: a conflict stops autosave until resolved.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [revision, savedRevision, enabled, save, delayMs]);

  /** Save now if anything is unsaved; true when the server has the current document. */
  const flush = useCallback(async () => {
    if (latest.current.revision <= savedRevision && state.kind !== "failed") return true;
    return save();
  }, [save, savedRevision, state.kind]);

  return {
    state,
    flush,
    /** Overwrite the server's draft with this editor's document. */
    overwrite: () => save(true),
    setEtag: (value: string | null) => {
      etag.current = value;
      setState({ kind: "saved" });
    },
  };
}
