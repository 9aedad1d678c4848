/** Step paths (SPEC 3): `root.steps[0].then.steps[2]`. */
import { type Branch, BRANCHES, type PipeRef, ROOT_PIPE } from "./types";

export interface Segment {
  branch: Branch | null;
  index: number;
}

const SEGMENT = /^(?:\.(then|else|try|catch|body))?\.steps\[(\d+)\]/;

export function parsePath(path: string): Segment[] | null {
  if (!path.startsWith("root")) return null;
  let rest = path.slice(4);
  const out: Segment[] = [];
  while (rest.length > 0) {
    const match = SEGMENT.exec(rest);
    if (!match) return null;
    const branch = (match[1] as Branch | undefined) ?? null;
    if ((out.length === 0) !== (branch === null)) return null;
    out.push({ branch, index: Number(match[2]) });
    rest = rest.slice(match[0].length);
  }
  return out;
}

export function formatPath(segments: readonly Segment[]): string {
  return (
    "root" +
    segments.map((s) => (s.branch ? `.${s.branch}.steps[${s.index}]` : `.steps[${s.index}]`)).join("")
  );
}

export function pipeOfPath(path: string): { pipe: PipeRef; index: number } | null {
  const segments = parsePath(path);
  const last = segments?.at(-1);
  if (!segments || !last) return null;
  const parent = formatPath(segments.slice(0, -1));
  return { pipe: last.branch ? { parent, branch: last.branch } : ROOT_PIPE, index: last.index };
}

export function childPath(pipe: PipeRef, index: number): string {
  return pipe.branch ? `${pipe.parent}.${pipe.branch}.steps[${index}]` : `root.steps[${index}]`;
}

export function pipeKey(pipe: PipeRef): string {
  return pipe.branch ? `${pipe.parent}.${pipe.branch}` : "root";
}

export function parsePipeKey(key: string): PipeRef | null {
  if (key === "root") return ROOT_PIPE;
  const dot = key.lastIndexOf(".");
  const branch = key.slice(dot + 1) as Branch;
  const parent = key.slice(0, dot);
  if (!Object.values(BRANCHES).some((b) => b.includes(branch)) || parsePath(parent) === null) return null;
  return { parent, branch };
}

/** True when `path` is `ancestor` or lies inside it. */
export function isWithin(path: string, ancestor: string): boolean {
  return path === ancestor || path.startsWith(ancestor + ".");
}
