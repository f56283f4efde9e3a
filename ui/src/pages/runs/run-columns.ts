import type { RunTableRow } from '../../api/runs.ts';
import { formatDuration, formatNumber, formatTime } from '../../components/format.ts';

export const COLUMN_KINDS = ['params', 'metrics', 'tags'] as const;
export type ColumnKind = (typeof COLUMN_KINDS)[number];

/** A column of the runs table: an attribute of the run, or one param, metric or tag. */
export interface GridColumn {
  /** `attributes.start_time`, `params.lr`, `metrics.loss`, `tags.team`. */
  id: string;
  kind: 'attributes' | ColumnKind;
  label: string;
  width: number;
  /** The order_by clause for this column, when the server can sort by it. */
  sortKey?: string;
  numeric?: boolean;
  text(run: RunTableRow): string;
}

export const ATTRIBUTE_COLUMNS: GridColumn[] = [
  {
    id: 'attributes.start_time',
    kind: 'attributes',
    label: 'Created',
    width: 160,
    sortKey: 'attributes.start_time',
    text: (r) => formatTime(r.start_time),
  },
  {
    id: 'attributes.duration',
    kind: 'attributes',
    label: 'Duration',
    width: 100,
    numeric: true,
    text: (r) => (r.end_time ? formatDuration(r.end_time - r.start_time) : ''),
  },
  {
    id: 'attributes.status',
    kind: 'attributes',
    label: 'Status',
    width: 100,
    sortKey: 'attributes.status',
    text: (r) => r.status.toLowerCase(),
  },
  {
    id: 'attributes.user_id',
    kind: 'attributes',
    label: 'User',
    width: 110,
    sortKey: 'attributes.user_id',
    text: (r) => r.user_id,
  },
];

/** The column of one key; keys are quoted in order_by when they are not plain identifiers. */
export function keyColumn(kind: ColumnKind, key: string): GridColumn {
  const quoted = /^[A-Za-z_][A-Za-z0-9_.]*$/.test(key) ? key : `\`${key.replaceAll('`', '\\`')}\``;
  const prefix = kind === 'params' ? 'params' : kind === 'metrics' ? 'metrics' : 'tags';
  return {
    id: `${kind}.${key}`,
    kind,
    label: key,
    width: kind === 'tags' ? 160 : 120,
    sortKey: `${prefix}.${quoted}`,
    numeric: kind === 'metrics',
    text:
      kind === 'metrics'
        ? (r) => formatNumber(r.metrics[key])
        : kind === 'params'
          ? (r) => r.params[key] ?? ''
          : (r) => r.tags[key] ?? '',
  };
}

/** What the table shows unless the URL says otherwise: every param and metric, no tags. */
export const DEFAULT_COLUMNS = ['params.*', 'metrics.*'];

/** The visible key columns, from the URL's `cols` (explicit ids or `<kind>.*`) and the keys there are. */
export function visibleColumns(
  chosen: readonly string[],
  keys: { params: string[]; metrics: string[]; tags: string[] } | undefined,
): GridColumn[] {
  const columns: GridColumn[] = [];
  const seen = new Set<string>();
  for (const id of chosen) {
    const dot = id.indexOf('.');
    const kind = id.slice(0, dot) as ColumnKind;
    const key = id.slice(dot + 1);
    if (!COLUMN_KINDS.includes(kind)) continue;
    const all = key === '*' ? (keys?.[kind] ?? []) : [key];
    for (const k of all)
      if (!seen.has(`${kind}.${k}`)) {
        seen.add(`${kind}.${k}`);
        columns.push(keyColumn(kind, k));
      }
  }
  const order: Record<string, number> = { params: 0, metrics: 1, tags: 2 };
  return columns.sort((a, b) => (order[a.kind] ?? 0) - (order[b.kind] ?? 0));
}
