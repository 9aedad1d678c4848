import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { ShadowRunResult } from "../api";
import { ShadowRunItem } from "./ShadowDialog";

const run: ShadowRunResult = {
  runId: "0b7c1c3e-0000-4000-8000-000000000001",
  workflowVersion: 1,
  startedAt: "2026-01-05T09:00:00Z",
  past: { status: "SUCCEEDED", state: "EMAIL_PROCESSED" },
  draft: { status: "SUCCEEDED", state: "NO_ACK_SENT" },
  outcomeChanged: true,
  changes: [{ pointer: "/meta/state", kind: "changed", before: "EMAIL_PROCESSED", after: "NO_ACK_SENT" }],
  changesTruncated: false,
  calls: [
    { stepId: "create_ticket", nodePath: "root.steps[1]", actionId: "create_ticket_from_email", version: 1, attempt: 1, input: {}, answer: "RECORDED" },
    { stepId: "send_ack", nodePath: "root.steps[2]", actionId: "send_ticket_acknowledgement_email", version: 1, attempt: 1, input: {}, answer: "NO_RECORDING" },
  ],
  notCalled: [{ stepId: "old_step", actionId: "create_comment_from_email" }],
  waits: [],
  commands: 12,
};

describe("ShadowRunItem", () => {
  it("shows both outcomes, each call's answer, the calls no longer made and the differences", () => {
    render(<ShadowRunItem run={run} />);
    expect(screen.getByText("outcome changed")).toBeInTheDocument();
    expect(screen.getByText("recorded")).toBeInTheDocument();
    expect(screen.getByText("no recording")).toBeInTheDocument();
    expect(screen.getByText("create_comment_from_email")).toBeInTheDocument();
    expect(screen.getByText("/meta/state")).toBeInTheDocument();
    expect(screen.getByText("NO_ACK_SENT")).toBeInTheDocument();
  });
});
