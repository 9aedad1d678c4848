import type { StreamState } from "@/lib/liveUpdates";

const TEXT: Record<StreamState, string> = {
  connecting: "Connecting to live updates…",
  live: "Live",
  polling: "Live updates interrupted: refreshing every few seconds",
};

export function LiveIndicator({ state }: { state: StreamState }) {
  return (
    <span className={`live live-${state}`} role="status" aria-live="polite">
      <span className="live-dot" aria-hidden="true" />
      {TEXT[state]}
    </span>
  );
}
