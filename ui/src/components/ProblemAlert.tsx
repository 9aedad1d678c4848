import { describeError } from "@/lib/problem";

/** Shows a failed request: the problem's code and its `detail`, plus any per-field
 * errors. Nothing fails silently. */
export function ProblemAlert({ error, title, onDismiss }: { error: unknown; title?: string; onDismiss?: () => void }) {
  if (!error) return null;
  const { title: code, detail, items } = describeError(error);
  return (
    <div role="alert" className="alert alert-error">
      <div className="alert-body">
        <strong>{title ?? "Request failed"}</strong> <span className="alert-code">{code}</span>
        <p className="alert-detail">{detail}</p>
        {items.length > 0 ? (
          <ul className="alert-items">
            {items.map((item) => (
              <li key={item.pointer + item.message}>
                <code>{item.pointer}</code> {item.message}
              </li>
            ))}
          </ul>
        ) : null}
      </div>
      {onDismiss ? (
        <button type="button" className="alert-close" aria-label="Dismiss" onClick={onDismiss}>
          ×
        </button>
      ) : null}
    </div>
  );
}
