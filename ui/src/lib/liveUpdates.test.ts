import { describe, expect, it } from "vitest";
import { parseEvents } from "./liveUpdates";

describe("parseEvents", () => {
  it("splits events, keeps ids and skips heartbeat comments", () => {
    const text = 'event: ready\nid: 4.0\nretry: 2000\ndata: {}\n\n: ping\n\nevent: update\nid: 5.0\ndata: {"runId":"r1"}\n\nevent: upd';
    const { events, rest } = parseEvents(text);
    expect(events).toEqual([
      { event: "ready", id: "4.0", data: "{}" },
      { event: "update", id: "5.0", data: '{"runId":"r1"}' },
    ]);
    expect(rest).toBe("event: upd");
  });

  it("joins multi-line data and reads CRLF streams", () => {
    const { events } = parseEvents("event: update\r\ndata: a\r\ndata: b\r\n\r\n");
    expect(events).toEqual([{ event: "update", id: null, data: "a\nb" }]);
  });
});
