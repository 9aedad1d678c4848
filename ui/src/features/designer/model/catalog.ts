/** What the palette offers: the control blocks (SPEC 3, defined here: they are not
 * registry node types), the registry's node types and its actions; and the fresh step
 * each one inserts. */
import { uniqueId } from "./tree";
import type { JsonObject, Step } from "./types";

export interface PaletteItem {
  key: string;
  label: string;
  category: string;
  description: string;
  /** The step type it inserts. */
  type: string;
  /** For `action.call` items: the action and its version. */
  action?: { actionId: string; version: number };
  example?: JsonObject;
}

export interface NodeTypeInfo {
  type: string;
  ui: { label?: string; category?: string; description?: string; examples?: JsonObject[] };
}

export interface ActionInfo {
  actionId: string;
  version: number;
  ui: { label?: string; category?: string; description?: string };
  sideEffectful?: boolean;
}

export const CONTROL_BLOCKS: PaletteItem[] = [
  {
    key: "control.if",
    type: "control.if",
    label: "If / else",
    category: "Control",
    description: "Runs the then pipe when the condition is truthy, the else pipe otherwise.",
  },
  {
    key: "control.forEach",
    type: "control.forEach",
    label: "For each",
    category: "Control",
    description: "Runs its body once per item of an array, one item at a time, in order.",
  },
  {
    key: "control.tryCatch",
    type: "control.tryCatch",
    label: "Try / catch",
    category: "Control",
    description: "Runs the catch pipe, with the error in scope, when a step of the try pipe fails.",
  },
  {
    key: "control.callWorkflow",
    type: "control.callWorkflow",
    label: "Call workflow",
    category: "Control",
    description: "Starts a child run of another published workflow and waits for it to end.",
  },
  {
    key: "control.return",
    type: "control.return",
    label: "Return",
    category: "Control",
    description: "Ends the run (or the child run) successfully at once.",
  },
];

export function paletteItems(nodes: readonly NodeTypeInfo[], actions: readonly ActionInfo[]): PaletteItem[] {
  const nodeItems = nodes
    .filter((n) => n.type !== "action.call")
    .map<PaletteItem>((n) => ({
      key: n.type,
      type: n.type,
      label: n.ui.label ?? n.type,
      category: n.ui.category ?? "Nodes",
      description: n.ui.description ?? "",
      ...(n.ui.examples?.[0] ? { example: n.ui.examples[0] } : {}),
    }));
  const actionItems = actions.map<PaletteItem>((a) => ({
    key: `action:${a.actionId}@${a.version}`,
    type: "action.call",
    label: a.ui.label ?? a.actionId,
    category: a.ui.category ?? "Actions",
    description: a.ui.description ?? "",
    action: { actionId: a.actionId, version: a.version },
  }));
  return [...CONTROL_BLOCKS, ...nodeItems, ...actionItems];
}

export function groupItems(items: readonly PaletteItem[], query: string): [string, PaletteItem[]][] {
  const q = query.trim().toLowerCase();
  const groups = new Map<string, PaletteItem[]>();
  for (const item of items) {
    const hay = `${item.label} ${item.type} ${item.category} ${item.description} ${item.action?.actionId ?? ""}`;
    if (q && !hay.toLowerCase().includes(q)) continue;
    groups.set(item.category, [...(groups.get(item.category) ?? []), item]);
  }
  return [...groups.entries()];
}

const BASE_IDS: Record<string, string> = {
  "control.if": "check",
  "control.forEach": "each",
  "control.tryCatch": "attempt",
  "control.callWorkflow": "call",
  "control.return": "end",
  "state.set": "set_state",
  "transform.assign": "assign",
  "event.wait": "wait",
  "human.task": "task",
};

/** A fresh step for `item` whose id is free in `taken`. Blocks start with empty pipes;
 * node configs start empty (the form shows what is required). */
export function newStep(item: PaletteItem, taken: ReadonlySet<string>): Step {
  const base = item.action ? item.action.actionId : (BASE_IDS[item.type] ?? item.type.split(".").pop() ?? "step");
  const id = uniqueId(base, taken);
  switch (item.type) {
    case "control.if":
      return { id, type: item.type, condition: { $expr: "true" }, then: [], else: [] };
    case "control.forEach":
      return { id, type: item.type, items: { $expr: "payload.items" }, itemVar: "item", body: [] };
    case "control.tryCatch":
      return { id, type: item.type, try: [], catch: [], captureErrorAs: "failure" };
    case "control.callWorkflow":
      return { id, type: item.type, workflowId: "" };
    case "control.return":
      return { id, type: item.type };
    case "action.call":
      return {
        id,
        type: item.type,
        config: { actionId: item.action?.actionId ?? "", version: item.action?.version ?? 1, args: {} },
      };
    default:
      return { id, type: item.type, config: {} };
  }
}
