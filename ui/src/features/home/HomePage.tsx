import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, unwrap } from "@/api/client";
import { PageHeader, ProblemAlert, Spinner } from "@/components";

const STATUSES = ["SUCCEEDED", "FAILED", "RUNNING", "WAITING", "QUEUED", "CANCELED"] as const;

function since24h(): string {
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  return new Date(minute - 86_400_000).toISOString();
}

/** What an operator on call looks at first: runs per status over the last 24 h,
 * failing workflows, open tasks, dead letters. */
export function HomePage() {
  const from = since24h();
  const summary = useQuery({
    queryKey: ["runs", "home-summary", from],
    queryFn: async () => unwrap(await api.GET("/workflow-runs/summary", { params: { query: { bucket: "hour", from } } })),
    refetchInterval: 30_000,
  });
  const failing = useQuery({
    queryKey: ["runs", "home-failing", from],
    queryFn: async () => unwrap(await api.GET("/workflow-runs/summary/workflows", { params: { query: { from, limit: 10 } } })).items,
    refetchInterval: 30_000,
  });
  const tasks = useQuery({
    queryKey: ["human-tasks", "summary"],
    queryFn: async () => unwrap(await api.GET("/human-tasks/summary")),
    refetchInterval: 30_000,
  });
  const letters = useQuery({
    queryKey: ["dead-letters", "summary"],
    queryFn: async () => unwrap(await api.GET("/dead-letters/summary")),
    refetchInterval: 30_000,
  });
  const failingRows = (failing.data ?? []).filter((w) => (w.counts.FAILED ?? 0) > 0);
  return (
    <section className="page home-page">
      <PageHeader title="Overview" subtitle="The last 24 hours" />
      <div className="tiles">
        {STATUSES.map((s) => (
          <Link key={s} className={`tile tile-${s.toLowerCase()}`} to={`/runs?range=24h&status=${s}`}>
            <span className="tile-count">{summary.data?.totals[s] ?? 0}</span>
            <span className="tile-label">{s.toLowerCase()}</span>
          </Link>
        ))}
        <Link className="tile" to="/tasks">
          <span className="tile-count">{tasks.data ? tasks.data.open + tasks.data.claimed : "…"}</span>
          <span className="tile-label">tasks to do</span>
        </Link>
        <Link className="tile" to="/dead-letters">
          <span className="tile-count">{letters.data ? letters.data.waiting : "…"}</span>
          <span className="tile-label">dead letters not requeued</span>
        </Link>
      </div>
      <ProblemAlert error={summary.error ?? failing.error ?? tasks.error ?? letters.error} title="Could not load the overview" />
      <h2>Runs per hour</h2>
      {summary.isPending ? <Spinner label="Loading the summary" /> : summary.data ? <RunsChart buckets={summary.data.buckets} from={from} /> : null}
      <h2>Failing workflows</h2>
      {failingRows.length === 0 ? (
        <p className="muted">No run failed in the last 24 hours.</p>
      ) : (
        <table className="table" aria-label="Failing workflows">
          <thead>
            <tr>
              <th scope="col">Workflow</th>
              <th scope="col">Failed</th>
              <th scope="col">All runs</th>
            </tr>
          </thead>
          <tbody>
            {failingRows.map((w) => (
              <tr key={w.workflowId}>
                <td>
                  <Link to={`/runs?range=24h&status=FAILED&workflowId=${w.workflowId}`}>{w.name || w.workflowId.slice(0, 8)}</Link>
                </td>
                <td>{w.counts.FAILED ?? 0}</td>
                <td>{Object.values(w.counts).reduce((a, b) => a + b, 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** 24 hourly stacked bars (SVG), one colour per status; the table below it says the
 * same in text for screen readers. */
function RunsChart({ buckets, from }: { buckets: { start: string; counts: Record<string, number> }[]; from: string }) {
  const start = new Date(from).getTime();
  const hours = Array.from({ length: 25 }, (_, i) => {
    const at = Math.floor(start / 3_600_000) * 3_600_000 + i * 3_600_000;
    const found = buckets.find((b) => new Date(b.start).getTime() === at);
    return { at, counts: found?.counts ?? {} };
  });
  const max = Math.max(1, ...hours.map((h) => Object.values(h.counts).reduce((a, b) => a + b, 0)));
  const width = 600;
  const height = 120;
  const bar = width / hours.length;
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label="Runs started per hour over the last 24 hours, by status">
        {hours.map((h, i) => {
          let y = height;
          return STATUSES.map((s) => {
            const n = h.counts[s] ?? 0;
            const barHeight = (n / max) * (height - 4);
            y -= barHeight;
            return n ? <rect key={`${i}-${s}`} className={`bar-${s.toLowerCase()}`} x={i * bar + 1} y={y} width={bar - 2} height={barHeight} /> : null;
          });
        })}
      </svg>
      <figcaption className="legend">
        <span className="muted">24 h ago → now, one bar per hour:</span>
        {STATUSES.map((s) => (
          <span key={s} className={`legend-${s.toLowerCase()}`}>
            {s.toLowerCase()}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
