/** Named editor actions (excalidraw style): each is a pure function from document to
 * document, recorded in the history under its label, so undo/redo, keyboard shortcuts
 * and tests share one path. */
import { childPath, pipeOfPath } from "./paths";
import {
  duplicateStep,
  getStep,
  insertSteps,
  moveStep,
  pasteStep,
  pathOfId,
  removeStep,
  TreeError,
  updateStep,
} from "./tree";
import type { Definition, PipeRef, Step } from "./types";

export type EditAction =
  | { kind: "insert"; pipe: PipeRef; index: number; step: Step }
  | { kind: "delete"; path: string }
  | { kind: "move"; path: string; to: PipeRef; index: number }
  | { kind: "moveBy"; path: string; delta: -1 | 1 }
  | { kind: "duplicate"; path: string }
  | { kind: "paste"; pipe: PipeRef; index: number; step: Step }
  | { kind: "update"; path: string; step: Step; label?: string }
  | { kind: "replaceDocument"; doc: Definition; label: string }
  | { kind: "setField"; key: string; value: Definition[string] | undefined; label?: string };

export interface Applied {
  doc: Definition;
  /** The id of the step to select afterwards, if the action makes one obvious. */
  select?: string | null;
}

export function describe(action: EditAction): string {
  switch (action.kind) {
    case "insert":
      return `Add ${action.step.id}`;
    case "delete":
      return "Delete step";
    case "move":
    case "moveBy":
      return "Move step";
    case "duplicate":
      return "Duplicate step";
    case "paste":
      return `Paste ${action.step.id}`;
    case "update":
      return action.label ?? `Edit ${action.step.id}`;
    case "replaceDocument":
      return action.label;
    case "setField":
      return action.label ?? `Edit ${action.key}`;
  }
}

export function perform(doc: Definition, action: EditAction): Applied {
  switch (action.kind) {
    case "insert":
      return { doc: insertSteps(doc, action.pipe, action.index, [action.step]), select: action.step.id };
    case "delete":
      return { doc: removeStep(doc, action.path).doc, select: null };
    case "move": {
      const id = getStep(doc, action.path)?.id;
      return { doc: moveStep(doc, action.path, action.to, action.index), select: id ?? null };
    }
    case "moveBy": {
      const where = pipeOfPath(action.path);
      const step = getStep(doc, action.path);
      if (!where || !step) throw new TreeError(`no step at ${action.path}`);
      const target = where.index + action.delta;
      if (target < 0) return { doc, select: step.id };
      // moveStep counts the index before removal: one further when moving down.
      const index = action.delta > 0 ? target + 1 : target;
      const sibling = getStep(doc, childPath(where.pipe, target));
      if (!sibling) return { doc, select: step.id };
      return { doc: moveStep(doc, action.path, where.pipe, index), select: step.id };
    }
    case "duplicate": {
      const result = duplicateStep(doc, action.path);
      return { doc: result.doc, select: getStep(result.doc, result.path)?.id ?? null };
    }
    case "paste": {
      const next = pasteStep(doc, action.pipe, action.index, action.step);
      const inserted = getStep(next, childPath(action.pipe, action.index));
      return { doc: next, select: inserted?.id ?? null };
    }
    case "update":
      return { doc: updateStep(doc, action.path, () => action.step), select: action.step.id };
    case "replaceDocument":
      return { doc: action.doc };
    case "setField": {
      const next: Definition = { ...doc };
      if (action.value === undefined) delete next[action.key];
      else next[action.key] = action.value;
      return { doc: next };
    }
  }
}

export interface Entry {
  label: string;
  doc: Definition;
  /** Consecutive updates with the same key (typing in one step's fields) merge into one entry. */
  key?: string;
}

export interface History {
  past: Entry[];
  present: Definition;
  future: Entry[];
}

export const HISTORY_LIMIT = 200;

export function startHistory(doc: Definition): History {
  return { past: [], present: doc, future: [] };
}

/** Apply `action`, recording the previous document under the action's label. An action
 * that changes nothing records nothing. */
export function record(history: History, action: EditAction): { history: History; select?: string | null } {
  const applied = perform(history.present, action);
  if (applied.doc === history.present || JSON.stringify(applied.doc) === JSON.stringify(history.present)) {
    return { history, select: applied.select };
  }
  const label = describe(action);
  const key = action.kind === "update" || action.kind === "setField" ? `${action.kind}:${label}` : undefined;
  const last = history.past.at(-1);
  if (key && last?.key === key && history.future.length === 0) {
    return { history: { past: history.past, present: applied.doc, future: [] }, select: applied.select };
  }
  const entry: Entry = key ? { label, doc: history.present, key } : { label, doc: history.present };
  const past = [...history.past, entry].slice(-HISTORY_LIMIT);
  return { history: { past, present: applied.doc, future: [] }, select: applied.select };
}

export function undo(history: History): History {
  const last = history.past.at(-1);
  if (!last) return history;
  return {
    past: history.past.slice(0, -1),
    present: last.doc,
    future: [{ label: last.label, doc: history.present }, ...history.future],
  };
}

export function redo(history: History): History {
  const next = history.future[0];
  if (!next) return history;
  return {
    past: [...history.past, { label: next.label, doc: history.present }],
    present: next.doc,
    future: history.future.slice(1),
  };
}

export function canUndo(history: History): boolean {
  return history.past.length > 0;
}

export function canRedo(history: History): boolean {
  return history.future.length > 0;
}

export { pathOfId };
