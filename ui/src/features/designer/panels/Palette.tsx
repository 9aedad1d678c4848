import { forwardRef, useState } from "react";
import { groupItems, type PaletteItem } from "../model/catalog";

/** Searchable, grouped list of what can be added: control blocks, node types, actions. */
export const Palette = forwardRef<HTMLInputElement, { items: PaletteItem[]; target: string; onPick: (item: PaletteItem) => void; onCancelTarget?: (() => void) | null; disabledReason: string | null }>(
  function Palette({ items, target, onPick, onCancelTarget, disabledReason }, ref) {
    const [query, setQuery] = useState("");
    const groups = groupItems(items, query);
    return (
      <aside className="palette" aria-label="Add a step">
        <div className="palette-head">
          <h2 className="panel-title">Add a step</h2>
          <p className="small muted" aria-live="polite">
            Goes to: <strong>{target}</strong>
            {onCancelTarget ? (
              <>
                {" "}
                <button type="button" className="link-btn" onClick={onCancelTarget}>
                  reset
                </button>
              </>
            ) : null}
          </p>
          <input ref={ref} type="search" aria-label="Search steps and actions" placeholder="Search steps and actions" value={query} onChange={(e) => setQuery(e.target.value)} />
        </div>
        {disabledReason ? <p className="muted small">{disabledReason}</p> : null}
        <div className="palette-list">
          {groups.length === 0 ? <p className="muted small">Nothing matches “{query}”.</p> : null}
          {groups.map(([category, list]) => (
            <section key={category} className="palette-group" aria-label={category}>
              <h3 className="palette-category">{category}</h3>
              <ul>
                {list.map((item) => (
                  <li key={item.key}>
                    <button type="button" className="palette-item" onClick={() => {
                        setQuery("");
                        onPick(item);
                      }} disabled={Boolean(disabledReason)} aria-label={`Add ${item.label}`} aria-describedby={`desc-${item.key}`}>
                      <span className="palette-label">{item.label}</span>
                      <span className="palette-desc" id={`desc-${item.key}`}>
                        {item.description}
                      </span>
                    </button>
                  </li>
                ))}
              </ul>
            </section>
          ))}
        </div>
      </aside>
    );
  },
);
