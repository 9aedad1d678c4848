import {
  closestCenter,
  DndContext,
  type DragEndEvent,
  KeyboardSensor,
  PointerSensor,
  useDroppable,
  useSensor,
  useSensors,
} from "@dnd-kit/core";
import { SortableContext, sortableKeyboardCoordinates, useSortable, verticalListSortingStrategy } from "@dnd-kit/sortable";
import { CSS } from "@dnd-kit/utilities";
import { useState } from "react";
import { Badge, Icon } from "@/components";
import type { NodeType } from "../api";
import { stepLabel } from "../config/ConfigPanel";
import type { EditAction } from "../model/actions";
import type { Issue } from "../model/issues";
import { childPath, parsePipeKey, pipeKey, pipeOfPath } from "../model/paths";
import { getPipe, walk } from "../model/tree";
import { type Branch, branchesOf, type Definition, type PipeRef, ROOT_PIPE, type Step } from "../model/types";
import { summarize } from "./summary";

const BRANCH_LABEL: Record<Branch, string> = { then: "Then", else: "Else", try: "Try", catch: "Catch", body: "Body" };

export interface CanvasProps {
  doc: Definition;
  selectedPath: string | null;
  issues: readonly Issue[];
  nodes: readonly NodeType[];
  readOnly: boolean;
  insertAt: { pipe: PipeRef; index: number } | null;
  dispatch: (action: EditAction) => void;
  select: (id: string | null) => void;
  onAddAt: (pipe: PipeRef, index: number) => void;
  onCopy: (step: Step) => void;
}

function pipeName(doc: Definition, pipe: PipeRef): string {
  if (!pipe.branch) return "the workflow";
  const owner = walk(doc).find((l) => l.path === pipe.parent);
  return `${BRANCH_LABEL[pipe.branch].toLowerCase()} of ${owner?.step.id ?? pipe.parent}`;
}

/** The workflow as a vertical pipe of step cards; blocks hold their pipes side by side.
 * Drag a card by its handle (or focus the handle and use Space + arrow keys) within
 * and between pipes; every card also has Move up / Move down. */
export function Canvas(props: CanvasProps) {
  const { doc, dispatch } = props;
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 6 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );
  const onDragEnd = (event: DragEndEvent) => {
    const { active, over } = event;
    if (!over || active.id === over.id) return;
    const located = walk(doc);
    const from = located.find((l) => l.step.id === active.id);
    if (!from) return;
    const overStep = located.find((l) => l.step.id === over.id);
    if (overStep) {
      const samePipe = pipeKey(overStep.pipe) === pipeKey(from.pipe);
      const index = samePipe && overStep.index > from.index ? overStep.index + 1 : overStep.index;
      dispatch({ kind: "move", path: from.path, to: overStep.pipe, index });
      return;
    }
    const pipe = parsePipeKey(String(over.id).replace(/^pipe:/, ""));
    if (pipe) dispatch({ kind: "move", path: from.path, to: pipe, index: getPipe(doc, pipe)?.length ?? 0 });
  };
  return (
    <DndContext sensors={sensors} collisionDetection={closestCenter} onDragEnd={onDragEnd}>
      <div className="canvas" role="region" aria-label="Workflow steps">
        <Pipe {...props} pipe={ROOT_PIPE} steps={doc.steps ?? []} depth={0} />
      </div>
    </DndContext>
  );
}

function Pipe(props: CanvasProps & { pipe: PipeRef; steps: Step[]; depth: number }) {
  const { pipe, steps, readOnly, insertAt, onAddAt, doc } = props;
  const key = pipeKey(pipe);
  const { setNodeRef, isOver } = useDroppable({ id: `pipe:${key}`, disabled: readOnly });
  const name = pipeName(doc, pipe);
  const addingHere = insertAt && pipeKey(insertAt.pipe) === key;
  return (
    <SortableContext items={steps.map((s) => s.id)} strategy={verticalListSortingStrategy}>
      <div ref={setNodeRef} className={`pipe${isOver ? " pipe-over" : ""}${steps.length === 0 ? " pipe-empty" : ""}`} role="group" aria-label={`Steps of ${name}`}>
        {steps.map((step, index) => (
          <div key={step.id} className="pipe-item">
            {index > 0 || pipe.branch ? null : <div className="pipe-start" aria-hidden="true" />}
            <StepCard {...props} step={step} path={childPath(pipe, index)} />
            {addingHere && insertAt.index === index + 1 ? <div className="insert-marker">New step goes here</div> : null}
          </div>
        ))}
        {steps.length === 0 ? <p className="pipe-hint">{readOnly ? "No steps." : "Empty: add a step or drop one here."}</p> : null}
        {addingHere && insertAt.index === 0 && steps.length > 0 ? <div className="insert-marker">New step goes first</div> : null}
        {!readOnly ? (
          <button type="button" className={`add-step${addingHere && insertAt.index === steps.length ? " active" : ""}`} onClick={() => onAddAt(pipe, steps.length)} aria-label={`Add a step to ${name}`}>
            + Add step
          </button>
        ) : null}
      </div>
    </SortableContext>
  );
}

function StepCard(props: CanvasProps & { step: Step; path: string; pipe: PipeRef; depth: number }) {
  const { step, path, selectedPath, issues, nodes, readOnly, dispatch, select, onCopy, depth } = props;
  const [collapsed, setCollapsed] = useState(false);
  const sortable = useSortable({ id: step.id, disabled: readOnly });
  const style = { transform: CSS.Translate.toString(sortable.transform), transition: sortable.transition };
  const selected = selectedPath === path;
  const mine = issues.filter((i) => i.stepPath === path);
  const errors = mine.filter((i) => i.severity === "error").length;
  const warnings = mine.length - errors;
  const nested = issues.filter((i) => i.stepPath.startsWith(path + ".")).length;
  const branches = branchesOf(step);
  const where = pipeOfPath(path);
  const siblings = where ? (getPipe(props.doc, where.pipe)?.length ?? 0) : 0;
  const label = stepLabel(step, nodes);
  const kind = step.type.startsWith("control.") ? "control" : step.type === "action.call" ? "action" : "node";
  return (
    <div
      ref={sortable.setNodeRef}
      style={style}
      className={`card card-${kind}${selected ? " selected" : ""}${sortable.isDragging ? " dragging" : ""}${errors ? " has-errors" : ""}`}
      role="group"
      aria-label={`Step ${step.id}`}
      data-depth={depth}
    >
      <div className="card-main">
        {!readOnly ? (
          <button type="button" className="drag-handle" aria-label={`Drag ${step.id}`} {...sortable.attributes} {...sortable.listeners}>
            <Icon name="grip" />
          </button>
        ) : null}
        <button type="button" className="card-select" onClick={() => select(step.id)} aria-label={`Select ${step.id}`} aria-pressed={selected}>
          <span className="card-kind">{label}</span>
          <span className="card-title">{typeof step.name === "string" && step.name ? step.name : step.id}</span>
          <span className="card-summary mono">{summarize(step)}</span>
        </button>
        <div className="card-badges">
          {errors ? (
            <Badge tone="danger" title={mine.map((i) => i.message).join("\n")}>
              {errors} error{errors > 1 ? "s" : ""}
            </Badge>
          ) : null}
          {warnings ? <Badge tone="warning" title={mine.map((i) => i.message).join("\n")}>{warnings} warning{warnings > 1 ? "s" : ""}</Badge> : null}
          {collapsed && nested ? <Badge tone="danger">{nested} inside</Badge> : null}
        </div>
        {!readOnly ? (
          <div className="card-tools" role="toolbar" aria-label={`Actions for ${step.id}`}>
            <button type="button" aria-label={`Move ${step.id} up`} title="Move up" disabled={!where || where.index === 0} onClick={() => dispatch({ kind: "moveBy", path, delta: -1 })}>
              <Icon name="up" />
            </button>
            <button type="button" aria-label={`Move ${step.id} down`} title="Move down" disabled={!where || where.index >= siblings - 1} onClick={() => dispatch({ kind: "moveBy", path, delta: 1 })}>
              <Icon name="down" />
            </button>
            <button type="button" aria-label={`Duplicate ${step.id}`} title="Duplicate (Ctrl+D)" onClick={() => dispatch({ kind: "duplicate", path })}>
              <Icon name="duplicate" />
            </button>
            <button type="button" aria-label={`Copy ${step.id}`} title="Copy (Ctrl+C)" onClick={() => onCopy(step)}>
              <Icon name="copy" />
            </button>
            <button type="button" aria-label={`Delete ${step.id}`} title="Delete (Del)" className="danger" onClick={() => dispatch({ kind: "delete", path })}>
              <Icon name="trash" />
            </button>
          </div>
        ) : null}
        {branches.length ? (
          <button type="button" className="collapse" aria-expanded={!collapsed} aria-label={`${collapsed ? "Expand" : "Collapse"} ${step.id}`} onClick={() => setCollapsed((c) => !c)}>
            <Icon name={collapsed ? "chevronRight" : "chevronDown"} />
          </button>
        ) : null}
      </div>
      {branches.length && !collapsed ? (
        <div className={`branches branches-${branches.length}`}>
          {branches.map((branch) => {
            const pipe = { parent: path, branch };
            const steps = getPipe(props.doc, pipe) ?? [];
            return (
              <div key={branch} className={`branch branch-${branch}`}>
                <div className="branch-label">{BRANCH_LABEL[branch]}</div>
                <Pipe {...props} pipe={pipe} steps={steps} depth={depth + 1} />
              </div>
            );
          })}
        </div>
      ) : null}
    </div>
  );
}
