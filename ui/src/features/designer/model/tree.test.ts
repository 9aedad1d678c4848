import { describe, expect, it } from "vitest";
import { canRedo, canUndo, record, redo, startHistory, undo } from "./actions";
import { formatPath, parsePath, pipeOfPath } from "./paths";
import { allIds, duplicateStep, getStep, insertSteps, moveStep, pasteStep, removeStep, TreeError, uniqueId, walk } from "./tree";
import { type Definition, ROOT_PIPE, type Step } from "./types";

const s = (id: string, extra: Record<string, unknown> = {}): Step => ({ id, type: "state.set", config: { state: id.toUpperCase() }, ...extra }) as Step;

function sample(): Definition {
  return {
    name: "t",
    trigger: { type: "event", eventName: "E" },
    steps: [
      s("a"),
      { id: "check", type: "control.if", condition: { $expr: "true" }, then: [s("t1"), s("t2")], else: [s("e1")] },
      { id: "loop", type: "control.forEach", items: { $expr: "payload.xs" }, itemVar: "x", body: [] },
      s("z"),
    ],
  };
}

const ids = (doc: Definition) => walk(doc).map((l) => l.step.id);

describe("paths", () => {
  it("parses and formats nested paths", () => {
    const p = "root.steps[1].then.steps[0]";
    expect(parsePath(p)).toEqual([
      { branch: null, index: 1 },
      { branch: "then", index: 0 },
    ]);
    expect(formatPath(parsePath(p)!)).toBe(p);
    expect(pipeOfPath(p)).toEqual({ pipe: { parent: "root.steps[1]", branch: "then" }, index: 0 });
  });
  it("refuses malformed paths", () => {
    expect(parsePath("root.then.steps[0]")).toBeNull();
    expect(parsePath("root.steps[0].steps[1]")).toBeNull();
    expect(parsePath("steps[0]")).toBeNull();
  });
});

describe("tree edits", () => {
  it("walks every step depth first with its path", () => {
    const doc = sample();
    expect(ids(doc)).toEqual(["a", "check", "t1", "t2", "e1", "loop", "z"]);
    expect(walk(doc).find((l) => l.step.id === "e1")?.path).toBe("root.steps[1].else.steps[0]");
  });

  it("inserts into a branch without touching the input", () => {
    const doc = sample();
    const before = JSON.stringify(doc);
    const next = insertSteps(doc, { parent: "root.steps[2]", branch: "body" }, 0, [s("in_loop")]);
    expect(getStep(next, "root.steps[2].body.steps[0]")?.id).toBe("in_loop");
    expect(JSON.stringify(doc)).toBe(before);
    // untouched subtrees are shared, not copied
    expect(next.steps[1]).toBe(doc.steps[1]);
  });

  it("removes a step", () => {
    const { doc, step } = removeStep(sample(), "root.steps[1].then.steps[0]");
    expect(step.id).toBe("t1");
    expect(ids(doc)).toEqual(["a", "check", "t2", "e1", "loop", "z"]);
  });

  it("moves within a pipe, counting the index before removal", () => {
    const down = moveStep(sample(), "root.steps[0]", ROOT_PIPE, 2);
    expect(down.steps.map((x) => x.id)).toEqual(["check", "a", "loop", "z"]);
    const up = moveStep(sample(), "root.steps[3]", ROOT_PIPE, 0);
    expect(up.steps.map((x) => x.id)).toEqual(["z", "a", "check", "loop"]);
  });

  it("moves between pipes, re-aiming a target below the removed step", () => {
    // a (index 0) leaves the root, so the loop moves from steps[2] to steps[1]
    const doc = moveStep(sample(), "root.steps[0]", { parent: "root.steps[2]", branch: "body" }, 0);
    expect(doc.steps.map((x) => x.id)).toEqual(["check", "loop", "z"]);
    expect(getStep(doc, "root.steps[1].body.steps[0]")?.id).toBe("a");
    const out = moveStep(sample(), "root.steps[1].else.steps[0]", ROOT_PIPE, 0);
    expect(out.steps[0]?.id).toBe("e1");
    expect(getStep(out, "root.steps[2]")?.else).toEqual([]);
  });

  it("refuses to move a block into itself", () => {
    expect(() => moveStep(sample(), "root.steps[1]", { parent: "root.steps[1]", branch: "then" }, 0)).toThrow(TreeError);
  });

  it("duplicates a block with fresh ids for it and its children", () => {
    const { doc, path } = duplicateStep(sample(), "root.steps[1]");
    expect(path).toBe("root.steps[2]");
    const copy = getStep(doc, path)!;
    expect(copy.id).toBe("check_2");
    expect((copy.then as Step[]).map((x) => x.id)).toEqual(["t1_2", "t2_2"]);
    expect(allIds(doc).size).toBe(walk(doc).length);
  });

  it("pastes keeping free ids and renaming taken ones", () => {
    const doc = pasteStep(sample(), ROOT_PIPE, 0, s("fresh"));
    expect(doc.steps[0]?.id).toBe("fresh");
    const again = pasteStep(doc, ROOT_PIPE, 0, s("fresh"));
    expect(again.steps[0]?.id).toBe("fresh_2");
  });

  it("makes unique ids", () => {
    expect(uniqueId("send ack!", new Set())).toBe("send_ack");
    expect(uniqueId("a", new Set(["a", "a_2"]))).toBe("a_3");
  });
});

describe("history", () => {
  it("records named actions and undoes/redoes them", () => {
    let h = startHistory(sample());
    h = record(h, { kind: "insert", pipe: ROOT_PIPE, index: 0, step: s("first") }).history;
    h = record(h, { kind: "delete", path: "root.steps[4]" }).history;
    expect(h.past.map((e) => e.label)).toEqual(["Add first", "Delete step"]);
    expect(ids(h.present)).toEqual(["first", "a", "check", "t1", "t2", "e1", "loop"]);
    h = undo(h);
    expect(ids(h.present)).toContain("z");
    h = undo(h);
    expect(ids(h.present)).toEqual(ids(sample()));
    expect(canUndo(h)).toBe(false);
    h = redo(redo(h));
    expect(ids(h.present)).toEqual(["first", "a", "check", "t1", "t2", "e1", "loop"]);
    expect(canRedo(h)).toBe(false);
  });

  it("an action that changes nothing records nothing", () => {
    const h = startHistory(sample());
    expect(record(h, { kind: "moveBy", path: "root.steps[0]", delta: -1 }).history).toBe(h);
  });

  it("a new action clears the redo stack", () => {
    let h = startHistory(sample());
    h = record(h, { kind: "duplicate", path: "root.steps[0]" }).history;
    h = undo(h);
    expect(canRedo(h)).toBe(true);
    h = record(h, { kind: "moveBy", path: "root.steps[0]", delta: 1 }).history;
    expect(canRedo(h)).toBe(false);
  });

  it("typing into one step's fields is one undo step", () => {
    let h = startHistory(sample());
    const step = getStep(h.present, "root.steps[0]")!;
    for (const state of ["A", "AB", "ABC"]) {
      h = record(h, { kind: "update", path: "root.steps[0]", step: { ...step, config: { state } } }).history;
    }
    expect(h.past).toHaveLength(1);
    expect(undo(h).present).toEqual(sample());
  });

  it("moveBy swaps with a neighbour and selects the moved step", () => {
    const { history, select } = record(startHistory(sample()), { kind: "moveBy", path: "root.steps[1].then.steps[0]", delta: 1 });
    expect(getStep(history.present, "root.steps[1]")?.then).toEqual([s("t2"), s("t1")]);
    expect(select).toBe("t1");
  });

  it("a failing edit throws instead of corrupting the document", () => {
    expect(() => record(startHistory(sample()), { kind: "delete", path: "root.steps[9]" })).toThrow(TreeError);
  });
});
