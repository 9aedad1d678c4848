import { Badge, type Tone } from "./Badge";

const TONES: Record<string, Tone> = {
  QUEUED: "neutral",
  RUNNING: "info",
  WAITING: "warning",
  SUCCEEDED: "success",
  FAILED: "danger",
  CANCELED: "neutral",
  RETRY_SCHEDULED: "warning",
  STARTED: "info",
  OPEN: "warning",
  CLAIMED: "info",
  COMPLETED: "success",
  RESOLVED: "success",
};

/** A run, step, wait or task status as a coloured badge (the text says it; colour only helps). */
export function StatusBadge({ status }: { status: string }) {
  return <Badge tone={TONES[status] ?? "neutral"}>{status}</Badge>;
}
