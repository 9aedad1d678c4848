/** A step-level diff of two definition documents: steps matched by id (ids are unique
 * in a tree), reported as added, removed, changed (which keys) or moved. */
import { walk } from "./tree";
import { branchesOf, type Definition, type Json, type Step } from "./types";

export type StepChange =
  | { kind: "added"; id: string; type: string; path: string }
  | { kind: "removed"; id: string; type: string; path: string }
  | { kind: "changed"; id: string; type: string; path: string; fields: string[]; before: Json; after: Json }
  | { kind: "moved"; id: string; type: string; from: string; path: string };

export interface DefinitionDiff {
  document: { key: string; before: Json | undefined; after: Json | undefined }[];
  steps: StepChange[];
}

/** The step without its nested pipes (those are compared step by step). */
function own(step: Step): Record<string, Json> {
  const copy: Record<string, Json> = { ...step };
  for (const branch of branchesOf(step)) delete copy[branch];
  return copy;
}

function changedKeys(a: Record<string, Json>, b: Record<string, Json>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

export function diffDefinitions(before: Definition, after: Definition): DefinitionDiff {
  const docKeys = new Set([...Object.keys(before), ...Object.keys(after)]);
  docKeys.delete("steps");
  docKeys.delete("id");
  const document = [...docKeys]
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
    .map((key) => ({ key, before: before[key], after: after[key] }));

  const a = new Map(walk(before).map((l) => [l.step.id, l]));
  const b = new Map(walk(after).map((l) => [l.step.id, l]));
  const steps: StepChange[] = [];
  for (const [id, loc] of b) {
    const old = a.get(id);
    if (!old) {
      steps.push({ kind: "added", id, type: loc.step.type, path: loc.path });
      continue;
    }
    const fields = changedKeys(own(old.step), own(loc.step));
    if (fields.length > 0) {
      steps.push({ kind: "changed", id, type: loc.step.type, path: loc.path, fields, before: own(old.step), after: own(loc.step) });
    }
    if (old.path !== loc.path && (old.pipe.parent !== loc.pipe.parent || old.pipe.branch !== loc.pipe.branch)) {
      steps.push({ kind: "moved", id, type: loc.step.type, from: old.path, path: loc.path });
    }
  }
  for (const [id, loc] of a) {
    if (!b.has(id)) steps.push({ kind: "removed", id, type: loc.step.type, path: loc.path });
  }
  return { document, steps };
}
