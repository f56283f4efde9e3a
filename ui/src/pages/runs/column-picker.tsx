import { useRef, useState } from 'react';
import type { RunColumns } from '../../api/runs.ts';
import { COLUMN_KINDS, type ColumnKind } from './run-columns.ts';

const KIND_LABEL: Record<ColumnKind, string> = { params: 'Params', metrics: 'Metrics', tags: 'Tags' };

/** The chosen keys as explicit ids, `<kind>.*` standing for every key of a kind. */
function expand(chosen: readonly string[], keys: RunColumns): Set<string> {
  const set = new Set<string>();
  for (const id of chosen) {
    const dot = id.indexOf('.');
    const kind = id.slice(0, dot) as ColumnKind;
    const key = id.slice(dot + 1);
    if (!COLUMN_KINDS.includes(kind)) continue;
    if (key === '*') for (const k of keys[kind]) set.add(`${kind}.${k}`);
    else set.add(id);
  }
  return set;
}

/** Back to the shortest list: a kind shown entirely becomes `<kind>.*`. */
function compact(set: ReadonlySet<string>, keys: RunColumns): string[] {
  const out: string[] = [];
  for (const kind of COLUMN_KINDS) {
    const all = keys[kind];
    const shown = all.filter((k) => set.has(`${kind}.${k}`));
    if (all.length > 0 && shown.length === all.length) out.push(`${kind}.*`);
    else out.push(...shown.map((k) => `${kind}.${k}`));
  }
  return out;
}

/** Which params, metrics and tags the runs table shows: a dialog with a search and a checkbox per key. */
export function ColumnPicker({
  keys,
  chosen,
  onChange,
}: {
  keys: RunColumns | undefined;
  chosen: readonly string[];
  onChange(columns: string[]): void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [text, setText] = useState('');
  if (!keys) return null;
  const shown = expand(chosen, keys);
  const set = (ids: string[], on: boolean) => {
    const next = new Set(shown);
    for (const id of ids) on ? next.add(id) : next.delete(id);
    onChange(compact(next, keys));
  };
  const needle = text.trim().toLowerCase();
  return (
    <>
      <button type="button" onClick={() => dialog.current?.showModal()}>
        Columns ({shown.size})
      </button>
      <dialog ref={dialog} className="picker" aria-labelledby="picker-title">
        <div className="picker-head">
          <h2 id="picker-title">Columns</h2>
          <label>
            <span className="visually-hidden">Find a column</span>
            <input
              type="search"
              placeholder="Find a key"
              value={text}
              onChange={(e) => setText(e.target.value)}
            />
          </label>
          <button type="button" onClick={() => dialog.current?.close()}>
            Done
          </button>
        </div>
        <div className="picker-groups">
          {COLUMN_KINDS.map((kind) => {
            const ids = keys[kind].filter((k) => k.toLowerCase().includes(needle)).map((k) => `${kind}.${k}`);
            return (
              <fieldset key={kind}>
                <legend>
                  {KIND_LABEL[kind]} <span className="muted">({keys[kind].length})</span>
                </legend>
                <div className="picker-actions">
                  <button type="button" className="small" onClick={() => set(ids, true)}>
                    Show all
                  </button>
                  <button type="button" className="small" onClick={() => set(ids, false)}>
                    Hide all
                  </button>
                </div>
                <ul>
                  {ids.map((id) => (
                    <li key={id}>
                      <label className="check">
                        <input
                          type="checkbox"
                          checked={shown.has(id)}
                          onChange={(e) => set([id], e.target.checked)}
                        />
                        {id.slice(kind.length + 1)}
                      </label>
                    </li>
                  ))}
                </ul>
              </fieldset>
            );
          })}
        </div>
      </dialog>
    </>
  );
}
