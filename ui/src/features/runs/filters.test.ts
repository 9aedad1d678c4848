import { describe, expect, it } from "vitest";
import { readFilters, withParams } from "./filters";

describe("run list filters in the URL", () => {
  it("reads statuses, triggers and a relative range rounded to the minute", () => {
    const now = Date.parse("2026-12-07T17:30:45Z");
    const params = new URLSearchParams("status=FAILED&status=BOGUS&trigger=event&range=1h&q=ORDER-7&cursor=abc");
    const { filters, range, cursor } = readFilters(params, now);
    expect(filters.status).toEqual(["FAILED"]);
    expect(filters.trigger).toEqual(["event"]);
    expect(filters.from).toBe("2026-12-07T16:30:00.000Z");
    expect(filters.q).toBe("ORDER-7");
    expect(range).toBe("1h");
    expect(cursor).toBe("abc");
  });

  it("drops the page cursor and empty values when a filter changes", () => {
    const params = new URLSearchParams("status=FAILED&cursor=abc&q=x");
    const next = withParams(params, { status: ["FAILED", "CANCELED"], q: null });
    expect(next.getAll("status")).toEqual(["FAILED", "CANCELED"]);
    expect(next.has("cursor")).toBe(false);
    expect(next.has("q")).toBe(false);
  });

  it("ignores a version that is not a positive integer", () => {
    expect(readFilters(new URLSearchParams("version=abc")).filters.version).toBeUndefined();
    expect(readFilters(new URLSearchParams("version=2")).filters.version).toBe(2);
  });
});
