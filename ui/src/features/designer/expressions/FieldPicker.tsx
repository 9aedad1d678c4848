import { useState } from "react";
import { useExpressionEnv } from "./context";
import type { FieldNode } from "./scope";

/** The fields in scope as a tree; picking one inserts its path. */
export function FieldPicker({ label, onPick }: { label: string; onPick: (path: string) => void }) {
  const { scope, scopeSource } = useExpressionEnv();
  const [filter, setFilter] = useState("");
  const groups: [string, FieldNode[]][] = [
    ["payload", scope.payload],
    ["vars", scope.vars],
    ["meta", scope.meta],
    ["error", scope.error],
    ["event", scope.event],
  ];
  const q = filter.trim().toLowerCase();
  const keep = (n: FieldNode): FieldNode | null => {
    const children = (n.children ?? []).map(keep).filter((c): c is FieldNode => c !== null);
    if (!q || n.path.toLowerCase().includes(q) || children.length) return { ...n, children };
    return null;
  };
  return (
    <div className="picker" role="group" aria-label={label}>
      <input type="search" aria-label="Filter fields" placeholder="Filter fields" value={filter} onChange={(e) => setFilter(e.target.value)} />
      {groups.map(([name, nodes]) => {
        const shown = nodes.map(keep).filter((n): n is FieldNode => n !== null);
        if (nodes.length === 0 && name !== "payload" && name !== "vars") return null;
        return (
          <div key={name} className="picker-group">
            <div className="picker-heading">{name}</div>
            {shown.length === 0 ? (
              <p className="muted small">{name === "payload" ? "No payload schema: any field may be read." : "Nothing assigned upstream."}</p>
            ) : (
              <ul className="picker-tree">{shown.map((n) => <FieldItem key={n.path} node={n} onPick={onPick} />)}</ul>
            )}
          </div>
        );
      })}
      <p className="muted small">Scope computed {scopeSource === "server" ? "by the server's type analysis" : "from the workflow tree"}.</p>
    </div>
  );
}

function FieldItem({ node, onPick }: { node: FieldNode; onPick: (path: string) => void }) {
  return (
    <li>
      <button type="button" className="picker-item" onClick={() => onPick(node.path)} title={node.note}>
        <span className="mono">{node.label}</span>
        {node.type ? <span className="picker-type">{node.type}</span> : null}
      </button>
      {node.children?.length ? <ul className="picker-tree">{node.children.map((c) => <FieldItem key={c.path} node={c} onPick={onPick} />)}</ul> : null}
    </li>
  );
}
