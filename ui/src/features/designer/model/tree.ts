/** Pure edits of the definition tree. Every function returns a new document and
 * leaves its input untouched; keys it does not edit keep their order and value. */
import { childPath, formatPath, isWithin, parsePath, pipeOfPath } from "./paths";
import { type Branch, branchesOf, type Definition, isObject, type Json, type PipeRef, type Step } from "./types";

export class TreeError extends Error {}

function stepsOf(value: Json | undefined): Step[] {
  return Array.isArray(value) ? (value.filter((s) => isObject(s)) as Step[]) : [];
}

/** The steps of a pipe, or undefined when the pipe does not exist. */
export function getPipe(doc: Definition, pipe: PipeRef): Step[] | undefined {
  if (!pipe.branch) return stepsOf(doc.steps);
  const owner = getStep(doc, pipe.parent);
  if (!owner || !branchesOf(owner).includes(pipe.branch)) return undefined;
  return stepsOf(owner[pipe.branch]);
}

export function getStep(doc: Definition, path: string): Step | undefined {
  const segments = parsePath(path);
  if (!segments || segments.length === 0) return undefined;
  let steps: Step[] = stepsOf(doc.steps);
  let step: Step | undefined;
  for (const [i, seg] of segments.entries()) {
    if (i > 0) {
      if (!step || !seg.branch || !branchesOf(step).includes(seg.branch)) return undefined;
      steps = stepsOf(step[seg.branch]);
    }
    step = steps[seg.index];
    if (!step) return undefined;
  }
  return step;
}

export interface Located {
  path: string;
  step: Step;
  depth: number;
  pipe: PipeRef;
  index: number;
}

/** Every step in document order (depth first), with its path. */
export function walk(doc: Definition): Located[] {
  const out: Located[] = [];
  const visit = (steps: Step[], pipe: PipeRef, depth: number) => {
    steps.forEach((step, index) => {
      const path = childPath(pipe, index);
      out.push({ path, step, depth, pipe, index });
      for (const branch of branchesOf(step)) {
        visit(stepsOf(step[branch]), { parent: path, branch }, depth + 1);
      }
    });
  };
  visit(stepsOf(doc.steps), { parent: "root", branch: null }, 0);
  return out;
}

export function pathOfId(doc: Definition, id: string): string | undefined {
  return walk(doc).find((l) => l.step.id === id)?.path;
}

export function allIds(doc: Definition): Set<string> {
  return new Set(walk(doc).map((l) => l.step.id));
}

/** `base`, or `base_2`, `base_3`... whichever is free. */
export function uniqueId(base: string, taken: ReadonlySet<string>): string {
  const clean = base.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^_+|_+$/g, "") || "step";
  if (!taken.has(clean)) return clean;
  const stem = clean.replace(/_\d+$/, "");
  for (let n = 2; ; n++) {
    const candidate = `${stem}_${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** Replace the step at `path` with `fn(step)` (rebuilding only the spine above it). */
export function updateStep(doc: Definition, path: string, fn: (step: Step) => Step): Definition {
  const segments = parsePath(path);
  if (!segments || segments.length === 0) throw new TreeError(`no step at ${path}`);
  const rebuild = (steps: Step[], depth: number): Step[] => {
    const seg = segments[depth]!;
    const current = steps[seg.index];
    if (!current) throw new TreeError(`no step at ${path}`);
    let next: Step;
    if (depth === segments.length - 1) {
      next = fn(current);
    } else {
      const branch = segments[depth + 1]!.branch as Branch;
      if (!branchesOf(current).includes(branch)) throw new TreeError(`no step at ${path}`);
      next = { ...current, [branch]: rebuild(stepsOf(current[branch]), depth + 1) };
    }
    const copy = steps.slice();
    copy[seg.index] = next;
    return copy;
  };
  return { ...doc, steps: rebuild(stepsOf(doc.steps), 0) };
}

function updatePipe(doc: Definition, pipe: PipeRef, fn: (steps: Step[]) => Step[]): Definition {
  if (!pipe.branch) return { ...doc, steps: fn(stepsOf(doc.steps)) };
  const branch = pipe.branch;
  return updateStep(doc, pipe.parent, (owner) => {
    if (!branchesOf(owner).includes(branch)) throw new TreeError(`${owner.id} has no ${branch} pipe`);
    return { ...owner, [branch]: fn(stepsOf(owner[branch])) };
  });
}

export function insertSteps(doc: Definition, pipe: PipeRef, index: number, steps: Step[]): Definition {
  return updatePipe(doc, pipe, (current) => {
    const at = Math.max(0, Math.min(index, current.length));
    return [...current.slice(0, at), ...steps, ...current.slice(at)];
  });
}

export function removeStep(doc: Definition, path: string): { doc: Definition; step: Step } {
  const where = pipeOfPath(path);
  const step = getStep(doc, path);
  if (!where || !step) throw new TreeError(`no step at ${path}`);
  return { doc: updatePipe(doc, where.pipe, (s) => s.filter((_, i) => i !== where.index)), step };
}

/** Move the step at `path` so that it sits at `index` of `to` (index counted in the
 * target pipe as it is before the move). A block cannot move into itself. */
export function moveStep(doc: Definition, path: string, to: PipeRef, index: number): Definition {
  const from = pipeOfPath(path);
  if (!from) throw new TreeError(`no step at ${path}`);
  if (to.branch && isWithin(to.parent, path)) throw new TreeError("a block cannot move into itself");
  const samePipe = from.pipe.parent === to.parent && from.pipe.branch === to.branch;
  let target = index;
  if (samePipe && from.index < index) target -= 1;
  // Removing the step shifts later siblings: re-aim a target pipe that lies below them.
  let toPipe = to;
  if (to.branch && !samePipe) toPipe = { ...to, parent: shiftAfterRemoval(to.parent, path) };
  const { doc: without, step } = removeStep(doc, path);
  return insertSteps(without, toPipe, target, [step]);
}

/** The path `path` gets once the step at `removed` is gone. */
function shiftAfterRemoval(path: string, removed: string): string {
  const a = parsePath(path);
  const r = parsePath(removed);
  if (!a || !r || a.length < r.length) return path;
  for (let i = 0; i < r.length - 1; i++) {
    if (a[i]!.branch !== r[i]!.branch || a[i]!.index !== r[i]!.index) return path;
  }
  const last = r.length - 1;
  if (a[last]!.branch === r[last]!.branch && a[last]!.index > r[last]!.index) {
    const copy = a.slice();
    copy[last] = { ...a[last]!, index: a[last]!.index - 1 };
    return formatPath(copy);
  }
  return path;
}

/** A deep copy of `step` whose ids (its own and its children's) are free in `taken`;
 * the new ids are added to `taken`. */
export function withFreshIds(step: Step, taken: Set<string>): Step {
  const id = uniqueId(step.id, taken);
  taken.add(id);
  const copy: Step = { ...structuredClone(step), id };
  for (const branch of branchesOf(step)) {
    copy[branch] = stepsOf(step[branch]).map((child) => withFreshIds(child, taken));
  }
  return copy;
}

export function duplicateStep(doc: Definition, path: string): { doc: Definition; path: string } {
  const where = pipeOfPath(path);
  const step = getStep(doc, path);
  if (!where || !step) throw new TreeError(`no step at ${path}`);
  const copy = withFreshIds(step, allIds(doc));
  return { doc: insertSteps(doc, where.pipe, where.index + 1, [copy]), path: childPath(where.pipe, where.index + 1) };
}

/** Paste a copied step (or block) at `index` of `pipe`, renaming ids already in use. */
export function pasteStep(doc: Definition, pipe: PipeRef, index: number, step: Step): Definition {
  return insertSteps(doc, pipe, index, [withFreshIds(step, allIds(doc))]);
}
