import { StatusBadge } from "./RunStatusBadge";

/** A definition's steps drawn read-only, as the designer lays them out (a pipe of
 * steps; `if`, `tryCatch` and `forEach` show their branches nested), each step
 * optionally marked with its outcome and attempt count. Used by the run view. */
export interface StepMark {
  status: string;
  attempts: number;
}

type Step = { id?: unknown; type?: unknown; name?: unknown; [key: string]: unknown };
const BRANCH_KEYS = ["then", "else", "try", "catch", "body"] as const;

function stepsOf(value: unknown): Step[] {
  return Array.isArray(value) ? (value.filter((s) => typeof s === "object" && s !== null) as Step[]) : [];
}

export function DefinitionOutline({
  steps,
  marks,
  selected,
  onSelect,
}: {
  steps: unknown;
  marks: Record<string, StepMark>;
  selected?: string | null;
  onSelect?: (stepId: string) => void;
}) {
  return (
    <div className="outline" role="tree" aria-label="Workflow steps">
      <Pipe steps={stepsOf(steps)} marks={marks} selected={selected ?? null} onSelect={onSelect} />
    </div>
  );
}

function Pipe({ steps, marks, selected, onSelect }: { steps: Step[]; marks: Record<string, StepMark>; selected: string | null; onSelect?: (id: string) => void }) {
  if (steps.length === 0) return <p className="outline-empty">no steps</p>;
  return (
    <ol className="outline-pipe" role="group">
      {steps.map((step, index) => {
        const id = String(step.id ?? `#${index}`);
        const mark = marks[id];
        const branches = BRANCH_KEYS.filter((key) => Array.isArray(step[key]));
        return (
          <li key={id} role="treeitem" aria-selected={selected === id} className={`outline-step outline-${(mark?.status ?? "none").toLowerCase()}`}>
            <button type="button" className="outline-card" onClick={() => onSelect?.(id)} aria-label={`Step ${id}${mark ? `, ${mark.status}` : ", not reached"}`}>
              <span className="outline-id">{id}</span>
              <span className="outline-type">{String(step.type ?? "")}</span>
              {mark ? <StatusBadge status={mark.status} /> : <span className="outline-unreached">not reached</span>}
              {mark && mark.attempts > 1 ? <span className="outline-attempts">{mark.attempts} attempts</span> : null}
            </button>
            {branches.map((key) => (
              <div key={key} className="outline-branch">
                <span className="outline-branch-label">{key}</span>
                <Pipe steps={stepsOf(step[key])} marks={marks} selected={selected} onSelect={onSelect} />
              </div>
            ))}
          </li>
        );
      })}
    </ol>
  );
}
