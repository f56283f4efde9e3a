import { Link, useNavigate } from '@tanstack/react-router';
import {
  columnSizingFeature,
  createColumnHelper,
  rowSortingFeature,
  type SortingState,
  tableFeatures,
  type Updater,
  useTable,
} from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import {
  type KeyboardEvent,
  type MouseEvent,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import type { RunTableRow } from '../../api/runs.ts';
import { ErrorMessage } from '../../components/status.tsx';
import type { GridColumn } from './run-columns.ts';
import { type RunWindowsQuery, useRunWindows } from './run-windows.ts';

const ROW_HEIGHT = 32;
const HEADER_HEIGHT = 36;
const SELECT_WIDTH = 40;
const NAME_WIDTH = 220;
const PINNED_WIDTH = SELECT_WIDTH + NAME_WIDTH;

const features = tableFeatures({
  columnSizingFeature,
  rowSortingFeature,
  columnMeta: {} as { grid: GridColumn },
});
const helper = createColumnHelper<typeof features, RunTableRow>();
const NO_ROWS: RunTableRow[] = [];

export interface Sort {
  /** The column id. */
  id: string;
  desc: boolean;
}

export interface RunsGridProps {
  query: RunWindowsQuery;
  columns: GridColumn[];
  sort: Sort | undefined;
  onSort(sort: Sort | undefined): void;
  selected: ReadonlySet<string>;
  onSelect(ids: string[], selected: boolean): void;
}

function Cells({
  run,
  columns,
  startPad,
}: {
  run: RunTableRow | undefined;
  columns: GridColumn[];
  startPad: number;
}) {
  return (
    <>
      {columns.map((c, i) => {
        const text = run ? c.text(run) : '';
        return (
          <td
            key={c.id}
            className={`cell${c.numeric ? ' num' : ''}`}
            style={{ width: c.width, ...(i === 0 ? { marginLeft: startPad } : {}) }}
            title={text.length > 14 ? text : undefined}
          >
            {text}
          </td>
        );
      })}
    </>
  );
}

/**
 * The runs table: rows and columns both virtualized (only what is on screen is in the page),
 * rows fetched in windows as they scroll into view, the select and name columns pinned left,
 * sorting by header, multi-select with Shift for ranges, and keyboard navigation (arrows,
 * Page Up/Down, Home/End, Space to select, Enter to open).
 */
export function RunsGrid(props: RunsGridProps) {
  const { columns, sort, onSort, selected, onSelect } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const navigate = useNavigate();
  const [active, setActive] = useState(0);
  const lastClicked = useRef<number | undefined>(undefined);

  const columnDefs = useMemo(
    () =>
      helper.columns(
        columns.map((c) =>
          // An accessor column (the cell text) so the column can carry sorting state; rows are
          // sorted by the server, never here (manualSorting).
          helper.accessor((run) => c.text(run), {
            id: c.id,
            header: c.label,
            size: c.width,
            enableSorting: c.sortKey !== undefined,
            meta: { grid: c },
          }),
        ),
      ),
    [columns],
  );
  const sorting: SortingState = useMemo(() => (sort ? [{ id: sort.id, desc: sort.desc }] : []), [sort]);
  const onSortingChange = useCallback(
    (updater: Updater<SortingState>) => {
      const next = typeof updater === 'function' ? updater(sorting) : updater;
      const [first] = next;
      onSort(first ? { id: first.id, desc: first.desc } : undefined);
    },
    [sorting, onSort],
  );
  const table = useTable({
    features,
    columns: columnDefs,
    data: NO_ROWS,
    state: { sorting },
    onSortingChange,
    manualSorting: true,
    sortDescFirst: true,
    enableMultiSort: false,
  });
  const headers = table.getFlatHeaders();
  const totalWidth = PINNED_WIDTH + table.getTotalSize();

  const [range, setRange] = useState({ from: 0, to: 50 });
  const windows = useRunWindows(props.query, range.from, range.to);
  const total = windows.total ?? 0;

  const rows = useVirtualizer({
    count: total,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
    scrollMargin: HEADER_HEIGHT,
    scrollPaddingStart: HEADER_HEIGHT,
    onChange: (v) => {
      const items = v.getVirtualItems();
      const from = items[0]?.index ?? 0;
      const to = items[items.length - 1]?.index ?? 0;
      setRange((r) => (r.from === from && r.to === to ? r : { from, to }));
    },
  });
  const cols = useVirtualizer({
    horizontal: true,
    count: headers.length,
    getScrollElement: () => scroller.current,
    estimateSize: (i) => headers[i]?.getSize() ?? 120,
    overscan: 3,
    scrollMargin: PINNED_WIDTH,
    scrollPaddingStart: PINNED_WIDTH,
  });
  const virtualCols = cols.getVirtualItems();
  const firstCol = virtualCols[0];
  const startPad = (firstCol?.start ?? PINNED_WIDTH) - PINNED_WIDTH;
  const shownColumns = virtualCols.flatMap((v) => {
    const c = headers[v.index]?.column.columnDef.meta?.grid;
    return c ? [c] : [];
  });

  const toggle = useCallback(
    (index: number, event: { shiftKey: boolean }) => {
      const run = windows.row(index);
      if (!run) return;
      const on = !selected.has(run.run_id);
      const from = lastClicked.current;
      if (event.shiftKey && from !== undefined) {
        const ids: string[] = [];
        for (let i = Math.min(from, index); i <= Math.max(from, index); i++) {
          const r = windows.row(i);
          if (r) ids.push(r.run_id);
        }
        onSelect(ids, on);
      } else onSelect([run.run_id], on);
      lastClicked.current = index;
    },
    [windows, selected, onSelect],
  );

  // Keyboard focus follows the active row: its checkbox takes focus once the row is rendered.
  const focusRow = useRef(false);
  useEffect(() => {
    if (!focusRow.current) return;
    let frame = 0;
    let tries = 0;
    const attempt = () => {
      const box = document.getElementById(`run-check-${active}`);
      if (box) {
        box.focus({ preventScroll: true });
        focusRow.current = false;
      } else if (tries++ < 20) frame = requestAnimationFrame(attempt);
    };
    attempt();
    return () => cancelAnimationFrame(frame);
  });
  const moveTo = (index: number) => {
    const next = Math.max(0, Math.min(total - 1, index));
    focusRow.current = true;
    setActive(next);
    rows.scrollToIndex(next, { align: 'auto' });
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTableElement>) => {
    if (!(e.target instanceof HTMLInputElement && e.target.type === 'checkbox')) return;
    const page = Math.max(
      1,
      Math.floor(((scroller.current?.clientHeight ?? 600) - HEADER_HEIGHT) / ROW_HEIGHT) - 1,
    );
    const moves: Record<string, number> = {
      ArrowDown: active + 1,
      ArrowUp: active - 1,
      PageDown: active + page,
      PageUp: active - page,
      Home: 0,
      End: total - 1,
    };
    const target = moves[e.key];
    if (target !== undefined) {
      e.preventDefault();
      moveTo(target);
    } else if (e.key === 'Enter') {
      const run = windows.row(active);
      if (run) void navigate({ to: '/runs/$runId', params: { runId: run.run_id }, search: {} });
    }
  };

  const loadedIds = () => {
    const ids: string[] = [];
    for (const item of rows.getVirtualItems()) {
      const r = windows.row(item.index);
      if (r) ids.push(r.run_id);
    }
    return ids;
  };
  const shownIds = loadedIds();
  const allShownSelected = shownIds.length > 0 && shownIds.every((id) => selected.has(id));

  return (
    <div className="grid-frame">
      {windows.error ? <ErrorMessage error={windows.error} /> : null}
      <p className="grid-count" aria-live="polite">
        {windows.total === undefined
          ? 'Loading runs…'
          : `${windows.total.toLocaleString('en')} run${windows.total === 1 ? '' : 's'}${selected.size ? `, ${selected.size} selected` : ''}`}
      </p>
      <div ref={scroller} className="grid-scroll">
        <table
          className="grid"
          aria-label="Runs"
          aria-rowcount={total + 1}
          aria-colcount={columns.length + 2}
          onKeyDown={onKeyDown}
          style={{ width: totalWidth }}
        >
          <thead className="grid-head" style={{ height: HEADER_HEIGHT }}>
            <tr aria-rowindex={1} style={{ width: totalWidth, height: HEADER_HEIGHT }}>
              <th className="cell pin" scope="col" style={{ width: SELECT_WIDTH, left: 0 }}>
                <input
                  type="checkbox"
                  aria-label="Select the runs on screen"
                  checked={allShownSelected}
                  onChange={(e) => onSelect(shownIds, e.target.checked)}
                />
              </th>
              <th className="cell pin name" scope="col" style={{ width: NAME_WIDTH, left: SELECT_WIDTH }}>
                Run name
              </th>
              {virtualCols.map((v, i) => {
                const header = headers[v.index];
                const grid = header?.column.columnDef.meta?.grid;
                if (!header || !grid) return null;
                const sorted = header.column.getIsSorted();
                const toggleSort = header.column.getToggleSortingHandler();
                return (
                  <th
                    key={header.id}
                    scope="col"
                    aria-colindex={v.index + 3}
                    aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none'}
                    className={`cell head kind-${grid.kind}${grid.numeric ? ' num' : ''}`}
                    style={{ width: header.getSize(), ...(i === 0 ? { marginLeft: startPad } : {}) }}
                    title={`${grid.kind === 'attributes' ? '' : `${grid.kind.slice(0, -1)} `}${grid.label}`}
                  >
                    {toggleSort ? (
                      <button type="button" className="sort" onClick={toggleSort}>
                        <span className="kind">{grid.kind === 'attributes' ? '' : grid.kind[0]}</span>
                        {grid.label}
                        <span aria-hidden="true">
                          {sorted === 'asc' ? ' ▲' : sorted === 'desc' ? ' ▼' : ''}
                        </span>
                      </button>
                    ) : (
                      grid.label
                    )}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody style={{ height: rows.getTotalSize() }}>
            {rows.getVirtualItems().map((item) => {
              const run = windows.row(item.index);
              const isSelected = run ? selected.has(run.run_id) : false;
              return (
                <tr
                  key={item.index}
                  aria-rowindex={item.index + 2}
                  className={`grid-row${isSelected ? ' selected' : ''}${item.index === active ? ' active' : ''}`}
                  style={{
                    width: totalWidth,
                    height: ROW_HEIGHT,
                    transform: `translateY(${item.start - HEADER_HEIGHT}px)`,
                  }}
                >
                  <td className="cell pin" style={{ width: SELECT_WIDTH, left: 0 }}>
                    {run ? (
                      <input
                        id={`run-check-${item.index}`}
                        type="checkbox"
                        aria-label={`Select run ${run.run_name}`}
                        checked={isSelected}
                        onChange={() => undefined}
                        onClick={(e: MouseEvent<HTMLInputElement>) => {
                          setActive(item.index);
                          toggle(item.index, e);
                        }}
                      />
                    ) : null}
                  </td>
                  <td className="cell pin name" style={{ width: NAME_WIDTH, left: SELECT_WIDTH }}>
                    {run ? (
                      <Link to="/runs/$runId" params={{ runId: run.run_id }} search={{}} tabIndex={-1}>
                        {run.run_name || run.run_id}
                      </Link>
                    ) : (
                      <span className="placeholder" aria-hidden="true" />
                    )}
                  </td>
                  <Cells run={run} columns={shownColumns} startPad={startPad} />
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}
