/** The editor's local state: the document's history (named actions), the selected
 * step (by id: paths move, ids do not) and the clipboard. Components dispatch actions. */
import { useCallback, useMemo, useReducer } from "react";
import { canRedo, canUndo, type EditAction, type History, record, redo, startHistory, undo } from "../model/actions";
import { pathOfId } from "../model/tree";
import type { Definition, Step } from "../model/types";

interface State {
  history: History;
  selected: string | null;
  clipboard: Step | null;
  /** Bumped on every document change, so autosave knows what it has saved. */
  revision: number;
  /** Local edits not saved yet (revision of the last save). */
  savedRevision: number;
  error: string | null;
}

type Msg =
  | { type: "edit"; action: EditAction }
  | { type: "undo" }
  | { type: "redo" }
  | { type: "select"; id: string | null }
  | { type: "copy"; step: Step }
  | { type: "reset"; doc: Definition }
  | { type: "saved"; revision: number }
  | { type: "dismissError" };

function reducer(state: State, msg: Msg): State {
  switch (msg.type) {
    case "edit": {
      try {
        const { history, select } = record(state.history, msg.action);
        if (history === state.history) return select === undefined ? state : { ...state, selected: select };
        return { ...state, history, selected: select === undefined ? state.selected : select, revision: state.revision + 1, error: null };
      } catch (error) {
        return { ...state, error: error instanceof Error ? error.message : String(error) };
      }
    }
    case "undo":
      return canUndo(state.history) ? { ...state, history: undo(state.history), revision: state.revision + 1 } : state;
    case "redo":
      return canRedo(state.history) ? { ...state, history: redo(state.history), revision: state.revision + 1 } : state;
    case "select":
      return { ...state, selected: msg.id };
    case "copy":
      return { ...state, clipboard: structuredClone(msg.step) };
    case "reset":
      return { ...state, history: startHistory(msg.doc), revision: 0, savedRevision: 0, selected: null, error: null };
    case "saved":
      return { ...state, savedRevision: Math.max(state.savedRevision, msg.revision) };
    case "dismissError":
      return { ...state, error: null };
  }
}

export function useEditor(initial: Definition) {
  const [state, send] = useReducer(reducer, undefined, () => ({
    history: startHistory(initial),
    selected: null,
    clipboard: null,
    revision: 0,
    savedRevision: 0,
    error: null,
  }));
  const doc = state.history.present;
  const selectedPath = useMemo(() => (state.selected ? (pathOfId(doc, state.selected) ?? null) : null), [doc, state.selected]);
  const dispatch = useCallback((action: EditAction) => send({ type: "edit", action }), []);
  return {
    doc,
    state,
    selectedPath,
    dispatch,
    undo: useCallback(() => send({ type: "undo" }), []),
    redo: useCallback(() => send({ type: "redo" }), []),
    select: useCallback((id: string | null) => send({ type: "select", id }), []),
    copy: useCallback((step: Step) => send({ type: "copy", step }), []),
    reset: useCallback((next: Definition) => send({ type: "reset", doc: next }), []),
    markSaved: useCallback((revision: number) => send({ type: "saved", revision }), []),
    dismissError: useCallback(() => send({ type: "dismissError" }), []),
    canUndo: canUndo(state.history),
    canRedo: canRedo(state.history),
    undoLabel: state.history.past.at(-1)?.label ?? null,
    redoLabel: state.history.future[0]?.label ?? null,
  };
}

export type Editor = ReturnType<typeof useEditor>;
