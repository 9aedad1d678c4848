import { Badge } from "@/components";
import { type Issue, issueField } from "../model/issues";

/** The publish report: every error and warning, located; choosing one selects its step
 * (and the field, when the message names it). */
export function PublishPanel({ issues, ok, version, onLocate, onClose }: { issues: Issue[]; ok: boolean; version: number | null | undefined; onLocate: (issue: Issue) => void; onClose: () => void }) {
  const errors = issues.filter((i) => i.severity === "error").length;
  return (
    <section className={`publish-report ${ok ? "ok" : "failed"}`} aria-label="Publish report">
      <header className="publish-head">
        <h2 className="panel-title">
          {ok ? `Published as version ${version ?? "?"}` : `Publishing refused: ${errors} error${errors === 1 ? "" : "s"}`}
        </h2>
        <button type="button" className="link-btn" onClick={onClose}>
          Close report
        </button>
      </header>
      {issues.length ? (
        <ul className="issue-list">
          {issues.map((issue, i) => {
            const field = issueField(issue);
            return (
              <li key={`${issue.stepPath}-${issue.code}-${i}`}>
                <button type="button" className="issue" onClick={() => onLocate(issue)} aria-label={`${issue.severity} ${issue.code} at ${issue.stepId ?? issue.stepPath}${field ? ` field ${field}` : ""}: ${issue.message}`}>
                  <Badge tone={issue.severity === "error" ? "danger" : "warning"}>{issue.severity}</Badge>
                  <span className="issue-code mono">{issue.code}</span>
                  <span className="issue-where mono">{issue.stepId ?? issue.stepPath}</span>
                  <span className="issue-message">{issue.message}</span>
                </button>
              </li>
            );
          })}
        </ul>
      ) : (
        <p className="muted small">No warnings.</p>
      )}
    </section>
  );
}
