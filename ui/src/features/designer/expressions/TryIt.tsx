import { ProblemAlert } from "@/components";
import { useEvaluate } from "../api";
import { useExpressionEnv } from "./context";

function parse(label: string, text: string): { value?: unknown; error?: string } {
  if (!text.trim()) return { value: {} };
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { error: `${label} is not valid JSON: ${(e as Error).message}` };
  }
}

/** Evaluate the expression on the server (the runs' sandbox and budget) against a
 * sample payload and vars, shared by every expression of the designer. */
export function TryIt({ expression }: { expression: string }) {
  const { sample, setSample } = useExpressionEnv();
  const evaluate = useEvaluate();
  const payload = parse("Sample payload", sample.payload);
  const vars = parse("Sample vars", sample.vars);
  const localError = payload.error ?? vars.error;
  const run = () => {
    if (localError) return;
    evaluate.mutate({ expression, payload: payload.value, vars: vars.value, meta: {}, error: null });
  };
  const result = evaluate.data;
  return (
    <div className="tryit" role="group" aria-label="Try it">
      <div className="tryit-inputs">
        <label className="field">
          <span className="field-label">Sample payload (JSON)</span>
          <textarea rows={3} className="mono" value={sample.payload} onChange={(e) => setSample({ ...sample, payload: e.target.value })} />
        </label>
        <label className="field">
          <span className="field-label">Sample vars (JSON)</span>
          <textarea rows={3} className="mono" value={sample.vars} onChange={(e) => setSample({ ...sample, vars: e.target.value })} />
        </label>
      </div>
      {localError ? <p className="expr-error">{localError}</p> : null}
      <button type="button" className="btn btn-secondary btn-sm" onClick={run} disabled={Boolean(localError) || evaluate.isPending}>
        Evaluate
      </button>
      <ProblemAlert error={evaluate.error} title="Could not evaluate" />
      {result ? (
        <div className="tryit-result" aria-live="polite">
          {result.ok ? (
            <>
              <span className="field-label">Result</span>
              <pre className="mono" aria-label="Result">{JSON.stringify(result.result, null, 2) ?? "null"}</pre>
            </>
          ) : (
            <p className="expr-error">
              <span className="expr-error-code">{result.error?.code ?? "ERROR"}</span> {result.error?.message ?? "the expression failed"}
              {result.error?.position != null ? <span className="muted"> (at {result.error.position})</span> : null}
            </p>
          )}
        </div>
      ) : null}
    </div>
  );
}
