import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useParams } from "react-router";
import { Badge, Button, ProblemAlert, Spinner, Tabs } from "@/components";
import { allows, roleReason, useMe } from "@/lib/auth";
import { keys } from "@/lib/queryKeys";
import { type Draft, fetchDraft, type PublishResult, useDefinitionSummary, useDraft, usePublish, useRegistry } from "./api";
import { Canvas } from "./canvas/Canvas";
import { ConfigPanel } from "./config/ConfigPanel";
import { WorkflowSettings } from "./config/WorkflowSettings";
import { ExpressionEnvContext, type ExpressionEnv } from "./expressions/context";
import { scopeAt } from "./expressions/scope";
import { useTypeAnalysis } from "./expressions/useTypeAnalysis";
import { useAutosave } from "./hooks/useAutosave";
import { useEditor } from "./hooks/useEditor";
import { newStep, paletteItems, type PaletteItem } from "./model/catalog";
import type { Issue } from "./model/issues";
import { pipeOfPath } from "./model/paths";
import { allIds, getStep, walk } from "./model/tree";
import { type Definition, isObject, type PipeRef, ROOT_PIPE } from "./model/types";
import { JsonTab } from "./panels/JsonTab";
import { Palette } from "./panels/Palette";
import { PublishPanel } from "./panels/PublishPanel";
import { RunDialog } from "./panels/RunDialog";
import { ShadowDialog } from "./panels/ShadowDialog";
import { VersionsTab } from "./panels/VersionsTab";

export function DesignerPage() {
  const { id = "" } = useParams();
  const draft = useDraft(id);
  const registry = useRegistry();
  const failed = draft.error ?? registry.nodes.error ?? registry.actions.error ?? registry.functions.error ?? registry.schemas.error;
  if (failed) {
    return (
      <div className="page">
        <p>
          <Link to="/definitions">← Workflows</Link>
        </p>
        <ProblemAlert error={failed} title="Could not open the workflow" />
      </div>
    );
  }
  if (!draft.data || !registry.nodes.data || !registry.actions.data || !registry.functions.data || !registry.schemas.data) {
    return <Spinner label="Opening the workflow" />;
  }
  return <Designer key={id} id={id} draft={draft.data} />;
}

function Designer({ id, draft }: { id: string; draft: Draft }) {
  const client = useQueryClient();
  const me = useMe();
  const registry = useRegistry();
  const summary = useDefinitionSummary(id);
  const nodes = useMemo(() => registry.nodes.data ?? [], [registry.nodes.data]);
  const actions = useMemo(() => registry.actions.data ?? [], [registry.actions.data]);
  const functions = useMemo(() => registry.functions.data ?? [], [registry.functions.data]);
  const editor = useEditor(normalise(draft.record.definition));
  const { doc, dispatch, selectedPath, select } = editor;
  const canEdit = allows(me.data, "workflow.manage");
  const canPublish = allows(me.data, "workflow.publish");
  const autosave = useAutosave({
    id,
    doc,
    revision: editor.state.revision,
    savedRevision: editor.state.savedRevision,
    markSaved: editor.markSaved,
    initialEtag: draft.etag,
    enabled: canEdit,
  });
  const [tab, setTab] = useState("design");
  const [insertAt, setInsertAt] = useState<{ pipe: PipeRef; index: number } | null>(null);
  const [report, setReport] = useState<PublishResult | null>(null);
  const [running, setRunning] = useState(false);
  const [shadowing, setShadowing] = useState(false);
  const [paletteOpen, setPaletteOpen] = useState(false);
  const [sample, setSample] = useState({ payload: "{}", vars: "{}" });
  const publish = usePublish(id);
  const paletteSearch = useRef<HTMLInputElement>(null);
  const analysis = useTypeAnalysis(doc);
  // The publish report while it is open; otherwise what publishing would report now.
  const issues: Issue[] = useMemo(() => (report ? (report.errors as Issue[]) : (analysis?.issues ?? [])), [report, analysis]);
  const latest = summary.data?.latestVersion ?? (report?.ok ? report.publishedVersion : undefined);

  const items = useMemo(() => paletteItems(nodes as never, actions as never), [nodes, actions]);
  const selectedStep = selectedPath ? getStep(doc, selectedPath) : undefined;

  // Where a picked palette item goes: the chosen slot, else after the selected step, else the end.
  const target = useMemo((): { pipe: PipeRef; index: number } => {
    if (insertAt) return insertAt;
    const where = selectedPath ? pipeOfPath(selectedPath) : null;
    if (where) return { pipe: where.pipe, index: where.index + 1 };
    return { pipe: ROOT_PIPE, index: doc.steps.length };
  }, [insertAt, selectedPath, doc.steps.length]);
  const targetLabel = useMemo(() => {
    const name = target.pipe.branch ? `${target.pipe.branch} of ${getStep(doc, target.pipe.parent)?.id ?? "?"}` : "the workflow";
    return `${name}, position ${target.index + 1}`;
  }, [target, doc]);

  const pick = (item: PaletteItem) => {
    const step = newStep(item, allIds(doc));
    dispatch({ kind: "insert", pipe: target.pipe, index: target.index, step });
    setInsertAt(null);
    setPaletteOpen(false);
  };
  const onAddAt = (pipe: PipeRef, index: number) => {
    setInsertAt({ pipe, index });
    setPaletteOpen(true);
    window.setTimeout(() => paletteSearch.current?.focus(), 0);
  };
  const paste = useCallback(() => {
    const step = editor.state.clipboard;
    if (!step) return;
    dispatch({ kind: "paste", pipe: target.pipe, index: target.index, step });
    setInsertAt(null);
  }, [editor.state.clipboard, dispatch, target]);

  // Keyboard shortcuts, outside text fields (those keep their own undo).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const el = e.target as HTMLElement | null;
      if (tab !== "design" || !el || el.closest("input, textarea, select, [contenteditable=true], dialog")) return;
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      if (mod && key === "z" && !e.shiftKey) editor.undo();
      else if (mod && ((key === "z" && e.shiftKey) || key === "y")) editor.redo();
      else if (!canEdit) return;
      else if (mod && key === "c" && selectedStep) editor.copy(selectedStep);
      else if (mod && key === "v") paste();
      else if (mod && key === "d" && selectedPath) dispatch({ kind: "duplicate", path: selectedPath });
      else if ((e.key === "Delete" || e.key === "Backspace") && selectedPath && !mod) dispatch({ kind: "delete", path: selectedPath });
      else return;
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [tab, editor, selectedStep, selectedPath, dispatch, paste, canEdit]);

  const doPublish = async () => {
    setReport(null);
    if (!(await autosave.flush())) return;
    publish.mutate(undefined, {
      onSuccess: (result) => {
        setReport(result);
        void client.invalidateQueries({ queryKey: keys.definitions });
        const firstError = result.errors.find((e) => e.severity === "error");
        if (firstError) locate(firstError as Issue);
      },
    });
  };
  const locate = (issue: Issue) => {
    setTab("design");
    const step = issue.stepPath === "root" ? undefined : getStep(doc, issue.stepPath);
    select(step?.id ?? null);
    window.setTimeout(() => {
      const panel = document.querySelector(".config");
      const holder = [...(panel?.querySelectorAll(".expr-server, .issue-inline li") ?? [])].find((el) => el.textContent?.includes(issue.message));
      const field = holder?.closest(".field, fieldset, .issue-inline");
      field?.scrollIntoView({ block: "center" });
      const input = field?.querySelector<HTMLElement>("input, textarea, select, [contenteditable=true]");
      (input ?? (holder as HTMLElement | undefined))?.focus?.();
    }, 50);
  };

  const payloadSchemaRef = typeof doc.payloadSchemaRef === "string" ? doc.payloadSchemaRef : null;
  const payloadSchema = (registry.schemas.data ?? []).find((s) => s.ref === payloadSchemaRef)?.jsonSchema ?? null;
  const env: ExpressionEnv = useMemo(() => {
    const local = scopeAt(doc, selectedPath, payloadSchema as Record<string, unknown> | null, selectedStep?.type === "event.wait");
    const served = analysis?.scopeOf(selectedPath) ?? null;
    return {
      functions,
      allowed: new Set(functions.map((f) => f.name)),
      // event (inside a wait's assign) is not part of the served envelope: kept from the tree.
      scope: served ? { ...served, event: local.event } : local,
      scopeSource: served ? "server" : "client",
      sample,
      setSample,
    };
  }, [functions, doc, selectedPath, payloadSchema, selectedStep?.type, sample, analysis]);

  const publishReason = roleReason(me.data, "workflow.publish", "Publishing");
  const editReason = roleReason(me.data, "workflow.manage", "Editing");
  const stepCount = walk(doc).length;
  return (
    <ExpressionEnvContext.Provider value={env}>
      <div className="designer">
        <header className="designer-bar">
          <div className="designer-title">
            <Link to="/definitions" className="back-link">
              ← Workflows
            </Link>
            <h1>{typeof doc.name === "string" && doc.name ? doc.name : "Untitled workflow"}</h1>
            <div className="designer-meta">
              {latest ? <Badge tone="success">v{latest} published</Badge> : <Badge>not published</Badge>}
              <SaveStatus state={autosave.state.kind} canEdit={canEdit} />
              <span className="muted small">{stepCount} steps</span>
            </div>
          </div>
          <div className="designer-actions" role="toolbar" aria-label="Workflow actions">
            <Button size="sm" variant="ghost" onClick={editor.undo} disabled={!editor.canUndo} title={editor.undoLabel ? `Undo ${editor.undoLabel} (Ctrl+Z)` : "Undo (Ctrl+Z)"}>
              Undo
            </Button>
            <Button size="sm" variant="ghost" onClick={editor.redo} disabled={!editor.canRedo} title={editor.redoLabel ? `Redo ${editor.redoLabel} (Ctrl+Shift+Z)` : "Redo (Ctrl+Shift+Z)"}>
              Redo
            </Button>
            {canEdit ? (
              <Button size="sm" variant="ghost" onClick={paste} disabled={!editor.state.clipboard} title={editor.state.clipboard ? `Paste ${editor.state.clipboard.id} (Ctrl+V)` : "Copy a step first"}>
                Paste
              </Button>
            ) : null}
            <Button size="sm" onClick={() => setShadowing(true)} disabled={!canEdit || !latest} title={editReason ?? (latest ? "Replay past runs through this draft (nothing is sent or written)" : "Publish first: shadow runs replay runs of published versions")}>
              Shadow run
            </Button>
            <Button size="sm" onClick={() => setRunning(true)} disabled={!canEdit || !latest} title={editReason ?? (latest ? "Start a run of the latest version" : "Publish first")}>
              Start run
            </Button>
            {canPublish ? (
              <Button size="sm" variant="primary" onClick={() => void doPublish()} disabled={publish.isPending}>
                {publish.isPending ? "Publishing…" : "Publish"}
              </Button>
            ) : (
              <span className="muted small role-note">{publishReason}</span>
            )}
          </div>
        </header>
        {autosave.state.kind === "conflict" ? (
          <div role="alert" className="alert alert-error conflict">
            <div className="alert-body">
              <strong>This draft was changed elsewhere.</strong>
              <p className="alert-detail">
                {(autosave.state.error as Error)?.message ?? "The server's draft is newer than the one you edited."} Your latest edits are kept here but not saved.
              </p>
              <div className="row">
                <Button
                  size="sm"
                  onClick={async () => {
                    const fresh = await client.fetchQuery({ queryKey: keys.draft(id), queryFn: () => fetchDraft(id), staleTime: 0 });
                    editor.reset(normalise(fresh.record.definition));
                    autosave.setEtag(fresh.etag);
                  }}
                >
                  Load their version (discard mine)
                </Button>
                <Button size="sm" variant="danger" onClick={() => void autosave.overwrite()}>
                  Overwrite with mine
                </Button>
              </div>
            </div>
          </div>
        ) : null}
        {autosave.state.kind === "failed" ? <ProblemAlert error={autosave.state.error} title="The draft was not saved" /> : null}
        <ProblemAlert error={publish.error} title="Could not publish" />
        {editor.state.error ? (
          <div role="alert" className="alert alert-warning">
            <span>{editor.state.error}</span>
            <button type="button" className="alert-close" aria-label="Dismiss" onClick={editor.dismissError}>
              ×
            </button>
          </div>
        ) : null}
        {report ? <PublishPanel issues={issues} ok={report.ok} version={report.publishedVersion} onLocate={locate} onClose={() => setReport(null)} /> : null}
        <Tabs
          label="Designer views"
          value={tab}
          onChange={setTab}
          tabs={[
            { id: "design", label: "Design" },
            { id: "json", label: "JSON" },
            { id: "versions", label: "Versions" },
          ]}
        />
        {tab === "design" ? (
          <div className={`designer-body${paletteOpen ? " palette-open" : ""}`} role="tabpanel" aria-label="Design">
            {canEdit ? (
              <>
                <button type="button" className="palette-toggle btn btn-secondary btn-sm" aria-expanded={paletteOpen} onClick={() => setPaletteOpen((o) => !o)}>
                  {paletteOpen ? "Hide steps" : "Show steps to add"}
                </button>
                <Palette ref={paletteSearch} items={items} target={targetLabel} onPick={pick} onCancelTarget={insertAt ? () => setInsertAt(null) : null} disabledReason={null} />
              </>
            ) : null}
            <div className="canvas-wrap">
              {!canEdit ? <p className="muted small">{editReason} The workflow is shown read-only.</p> : null}
              <Canvas doc={doc} selectedPath={selectedPath} issues={issues} nodes={nodes} readOnly={!canEdit} insertAt={insertAt} dispatch={dispatch} select={select} onAddAt={onAddAt} onCopy={editor.copy} />
            </div>
            <div className="side">
              {selectedStep && selectedPath ? (
                <ConfigPanel key={selectedStep.id} doc={doc} path={selectedPath} step={selectedStep} nodes={nodes} actions={actions} issues={issues} dispatch={dispatch} readOnly={!canEdit} />
              ) : (
                <WorkflowSettings doc={doc} dispatch={dispatch} readOnly={!canEdit} issues={issues} schemaRefs={(registry.schemas.data ?? []).map((s) => s.ref)} />
              )}
              {selectedStep ? (
                <button type="button" className="link-btn back-to-workflow" onClick={() => select(null)}>
                  Workflow settings
                </button>
              ) : null}
            </div>
          </div>
        ) : null}
        {tab === "json" ? (
          <div role="tabpanel" aria-label="JSON">
            <JsonTab key={editor.state.revision} doc={doc} dispatch={dispatch} readOnly={!canEdit} />
          </div>
        ) : null}
        {tab === "versions" ? (
          <div role="tabpanel" aria-label="Versions">
            <VersionsTab id={id} latest={latest} draft={doc} />
          </div>
        ) : null}
        <RunDialog open={running} onClose={() => setRunning(false)} workflowId={id} latest={latest} />
        <ShadowDialog open={shadowing} onClose={() => setShadowing(false)} workflowId={id} beforeRun={autosave.flush} />
      </div>
    </ExpressionEnvContext.Provider>
  );
}

function normalise(definition: unknown): Definition {
  const doc = (isObject(definition as never) ? definition : {}) as Definition;
  return Array.isArray(doc.steps) ? doc : { ...doc, steps: [] };
}

function SaveStatus({ state, canEdit }: { state: string; canEdit: boolean }) {
  if (!canEdit) return <Badge>read-only</Badge>;
  const text: Record<string, string> = { saved: "All changes saved", dirty: "Unsaved changes", saving: "Saving…", conflict: "Not saved: conflict", failed: "Not saved" };
  return (
    <span className={`save-status save-${state}`} role="status" aria-live="polite">
      {text[state] ?? state}
    </span>
  );
}

