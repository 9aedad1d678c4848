import { describe, expect, it } from "vitest";
import { diffDefinitions } from "./diff";
import type { Definition } from "./types";

describe("diffDefinitions", () => {
  const v1: Definition = {
    name: "W",
    steps: [
      { id: "a", type: "state.set", config: { state: "A" } },
      { id: "check", type: "control.if", condition: { $expr: "x" }, then: [{ id: "t", type: "state.set", config: { state: "T" } }] },
    ],
  };
  it("reports added, removed, changed and moved steps by id", () => {
    const v2: Definition = {
      name: "W2",
      steps: [
        { id: "check", type: "control.if", condition: { $expr: "y" }, then: [] },
        { id: "t", type: "state.set", config: { state: "T" } },
        { id: "new", type: "control.return" },
      ],
    };
    const diff = diffDefinitions(v1, v2);
    expect(diff.document).toEqual([{ key: "name", before: "W", after: "W2" }]);
    const kinds = diff.steps.map((c) => `${c.kind}:${c.id}`).sort();
    expect(kinds).toEqual(["added:new", "changed:check", "moved:t", "removed:a"]);
    const changed = diff.steps.find((c) => c.kind === "changed");
    expect(changed && changed.kind === "changed" ? changed.fields : []).toEqual(["condition"]);
  });
  it("is empty for equal documents", () => {
    expect(diffDefinitions(v1, structuredClone(v1))).toEqual({ document: [], steps: [] });
  });
});
