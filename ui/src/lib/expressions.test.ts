import { describe, expect, it } from "vitest";
import { checkExpression, normalise } from "./expressions";

const allowed = new Set(["string", "lowercase", "nowIso", "coalesce", "len"]);

describe("checkExpression", () => {
  it("accepts what the server accepts", () => {
    expect(checkExpression("payload.a == 1", allowed)).toEqual([]);
    expect(checkExpression("nowIso()", allowed)).toEqual([]);
    expect(checkExpression("coalesce(vars.a, $lowercase(payload.b))", allowed)).toEqual([]);
  });

  it("locates a syntax error", () => {
    const [problem] = checkExpression('payload.name & "x', allowed);
    expect(problem?.code).toBe("S0101");
    expect(problem?.severity).toBe("error");
    expect(problem?.message).toMatch(/String literal/);
    const [end] = checkExpression("payload.a +", allowed);
    expect(end?.code).toBe("S0207");
    expect(end?.to).toBe("payload.a +".length);
  });

  it("flags functions outside the sandbox allowlist where they are called", () => {
    const source = "$string(x) & $eval(y)";
    const [problem, ...rest] = checkExpression(source, allowed);
    expect(rest).toEqual([]);
    expect(problem?.code).toBe("DISALLOWED_FUNCTION");
    expect(source.slice(problem!.from, problem!.to)).toBe("$eval");
    expect(checkExpression("function($v){$v}(1)", allowed)[0]?.code).toBe("DISALLOWED_FUNCTION");
  });

  it("maps positions back over helper rewrites", () => {
    const source = "len(x) + $nope(1)";
    const [problem] = checkExpression(source, allowed);
    expect(source.slice(problem!.from, problem!.to)).toBe("$nope");
  });

  it("refuses an empty expression", () => {
    expect(checkExpression("  ", allowed)[0]?.code).toBe("EMPTY");
  });

  it("rewrites == outside strings only, keeping positions", () => {
    expect(normalise('a == "=="')).toBe('a =  "=="');
  });
});
