import { describe, expect, it } from "vitest";
import { issueField, messagesForField } from "./issues";

describe("issueField", () => {
  it("reads where a publish message points", () => {
    expect(issueField("config/args/email: 3 is not of type 'string'")).toBe("args/email");
    expect(issueField("config.args.email: unknown function $foo")).toBe("args/email");
    expect(issueField("config.state must be a literal value, not an expression")).toBe("state");
    expect(issueField("condition: S0203 Expected \")\"")).toBe("condition");
    expect(issueField("config.assign['vars.x']: bad")).toBe("assign/vars.x");
    expect(issueField("step id 'a' is already used at root.steps[0]")).toBeNull();
  });
  it("selects the messages of a field and the fields under it", () => {
    const issues = [
      { severity: "error" as const, stepPath: "root.steps[0]", code: "INVALID_CONFIG", message: "config/args/email: bad" },
      { severity: "warning" as const, stepPath: "root.steps[0]", code: "X", message: "condition: meh" },
    ];
    expect(messagesForField(issues, "args")).toEqual(["Error INVALID_CONFIG: config/args/email: bad"]);
    expect(messagesForField(issues, "state")).toEqual([]);
  });
});
