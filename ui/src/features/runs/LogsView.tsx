import { useState } from "react";
import { Button } from "@/components";
import { formatDateTime } from "@/lib/format";
import type { LogEntry } from "./api";

const LEVELS = ["debug", "info", "warning", "error"] as const;

/** The run's structured logs: level filter, text search, download as JSON Lines. */
export function LogsView({ logs, runId }: { logs: LogEntry[]; runId: string }) {
  const [level, setLevel] = useState("all");
  const [text, setText] = useState("");
  const needle = text.trim().toLowerCase();
  const shown = logs.filter(
    (l) => (level === "all" || l.level === level) && (!needle || `${l.message} ${l.stepId ?? ""} ${JSON.stringify(l.data ?? "")}`.toLowerCase().includes(needle)),
  );
  const download = () => {
    const blob = new Blob([shown.map((l) => JSON.stringify(l)).join("\n") + "\n"], { type: "application/x-ndjson" });
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = `run-${runId}-logs.jsonl`;
    a.click();
    URL.revokeObjectURL(url);
  };
  return (
    <section aria-label="Logs" className="logs">
      <div className="toolbar">
        <label className="field field-inline">
          Level
          <select value={level} onChange={(e) => setLevel(e.target.value)}>
            <option value="all">all</option>
            {LEVELS.map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        </label>
        <label className="field field-inline">
          Search logs
          <input type="search" value={text} onChange={(e) => setText(e.target.value)} />
        </label>
        <Button size="sm" onClick={download} disabled={shown.length === 0}>
          Download logs
        </Button>
      </div>
      {shown.length === 0 ? (
        <p className="muted">No log entries{logs.length ? " match" : ""}.</p>
      ) : (
        <ol className="log-lines">
          {shown.map((l, i) => (
            <li key={`${l.at}-${i}`} className={`log-${l.level}`}>
              <time dateTime={l.at}>{formatDateTime(l.at)}</time> <strong>{l.level}</strong> {l.stepId ? <code>{l.stepId}</code> : null} {l.message}
              {l.data !== null && l.data !== undefined ? <code className="log-data"> {JSON.stringify(l.data)}</code> : null}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
