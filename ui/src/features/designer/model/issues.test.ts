import { describe, expect, it } from "vitest";
import { fieldOfMessage, issueField, messagesForField, stepPointer } from "./issues";

describe("fieldOfMessage", () => {
  it("reads where a publish message points", () => {
    expect(fieldOfMessage("config/args/email: 3 is not of type 'string'")).toBe("args/email");
    expect(fieldOfMessage("config.args.email: unknown function $foo")).toBe("args/email");
    expect(fieldOfMessage("config.state must be a literal value, not an expression")).toBe("state");
    expect(fieldOfMessage("condition: S0203 Expected \")\"")).toBe("condition");
    expect(fieldOfMessage("config.assign['vars.x']: bad")).toBe("assign/vars.x");
    expect(fieldOfMessage("step id 'a' is already used at root.steps[0]")).toBeNull();
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

describe("issueField", () => {
  it("prefers the pointer, relative to the step", () => {
    expect(stepPointer("root.steps[1].then.steps[0]")).toBe("/steps/1/then/0");
    const issue = { severity: "error" as const, stepPath: "root.steps[1].then.steps[0]", code: "INVALID_CONFIG", message: "config: bad", pointer: "/steps/1/then/0/config/args/e~1mail" };
    expect(issueField(issue)).toBe("args/e/mail");
    expect(issueField({ ...issue, pointer: null })).toBeNull();
    expect(issueField({ ...issue, pointer: "/trigger/cron", stepPath: "root" })).toBe("trigger/cron");
  });
});
