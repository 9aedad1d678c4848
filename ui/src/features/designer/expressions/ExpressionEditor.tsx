import { autocompletion, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { linter, type Diagnostic } from "@codemirror/lint";
import { EditorState } from "@codemirror/state";
import { EditorView, keymap, placeholder as placeholderExt } from "@codemirror/view";
import { useEffect, useId, useMemo, useRef, useState } from "react";
import { checkExpression } from "@/lib/expressions";
import { useExpressionEnv } from "./context";
import { FieldPicker } from "./FieldPicker";
import { flatten } from "./scope";
import { TryIt } from "./TryIt";
import { jsonataHighlight, jsonataLanguage } from "./jsonataLanguage";

export interface ExpressionEditorProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** Messages from the server (publish) for this field. */
  serverMessages?: string[];
  placeholder?: string;
  compact?: boolean;
}

/** A JSONata editor: highlighting, syntax errors underlined and listed as you type,
 * allowlisted functions and scope fields autocompleted, a field picker and "try it". */
export function ExpressionEditor({ label, value, onChange, serverMessages, placeholder, compact }: ExpressionEditorProps) {
  const env = useExpressionEnv();
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  const envRef = useRef(env);
  envRef.current = env;
  const [picking, setPicking] = useState(false);
  const [trying, setTrying] = useState(false);
  const errorId = useId();
  const problems = useMemo(() => checkExpression(value, env.allowed), [value, env.allowed]);

  useEffect(() => {
    if (!host.current) return;
    const complete = (ctx: CompletionContext): CompletionResult | null => {
      const word = ctx.matchBefore(/[$\w.`]+/);
      if (!word || (word.from === word.to && !ctx.explicit)) return null;
      const e = envRef.current;
      const fields = [...flatten(e.scope.payload), ...e.scope.vars, ...e.scope.meta, ...e.scope.error, ...e.scope.event];
      return {
        from: word.from,
        options: [
          ...e.functions.map((f) => ({ label: f.callAs[0]?.replace("()", "") ?? f.name, type: "function", apply: f.callAs[0]?.replace("()", "(") ?? f.name, detail: "function" })),
          ...fields.map((f) => ({ label: f.path, type: "property", detail: f.type ?? f.source, info: f.note })),
        ],
        validFor: /^[$\w.`]*$/,
      };
    };
    const lint = (v: EditorView): Diagnostic[] =>
      checkExpression(v.state.doc.toString(), envRef.current.allowed).map((p) => ({
        from: Math.min(p.from, v.state.doc.length),
        to: Math.min(p.to, v.state.doc.length),
        severity: p.severity,
        message: `${p.code}: ${p.message}`,
      }));
    const state = EditorState.create({
      doc: value,
      extensions: [
        history(),
        keymap.of([...defaultKeymap, ...historyKeymap]),
        jsonataLanguage,
        jsonataHighlight,
        autocompletion({ override: [complete] }),
        linter(lint, { delay: 150 }),
        EditorView.lineWrapping,
        placeholderExt(placeholder ?? "JSONata, e.g. payload.email"),
        EditorView.contentAttributes.of({ "aria-label": label, role: "textbox", "aria-describedby": errorId }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) onChangeRef.current(update.state.doc.toString());
        }),
      ],
    });
    const created = new EditorView({ state, parent: host.current });
    view.current = created;
    return () => {
      created.destroy();
      view.current = null;
    };
    // The view is created once; later value changes are pushed below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
    }
  }, [value]);

  const insert = (text: string) => {
    const v = view.current;
    if (!v) return onChange(value + text);
    const { from, to } = v.state.selection.main;
    v.dispatch({ changes: { from, to, insert: text }, selection: { anchor: from + text.length } });
    v.focus();
  };

  const first = problems[0];
  return (
    <div className={compact ? "expr expr-compact" : "expr"}>
      <div className={first ? "expr-box expr-invalid" : "expr-box"} ref={host} />
      <div id={errorId} className="expr-status" aria-live="polite">
        {first ? (
          <p className="expr-error">
            <span className="expr-error-code">{first.code}</span> {first.message}
            {first.code !== "EMPTY" ? <span className="muted"> (at {first.from + 1})</span> : null}
          </p>
        ) : null}
        {serverMessages?.map((m) => (
          <p key={m} className="expr-server">
            {m}
          </p>
        ))}
      </div>
      <div className="expr-tools">
        <button type="button" className="link-btn" aria-expanded={picking} onClick={() => setPicking((p) => !p)}>
          Insert field
        </button>
        <button type="button" className="link-btn" aria-expanded={trying} onClick={() => setTrying((t) => !t)}>
          Try it
        </button>
      </div>
      {picking ? (
        <FieldPicker
          label={`Fields for ${label}`}
          onPick={(path) => {
            insert(path);
            setPicking(false);
          }}
        />
      ) : null}
      {trying ? <TryIt expression={value} /> : null}
    </div>
  );
}
