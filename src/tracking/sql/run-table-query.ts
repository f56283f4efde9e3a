import { errors } from '../../kernel/errors.ts';
import type { SqlExecutor, SqlValue } from '../../store/metadata-store.ts';
import {
  RUN_TABLE_MAX_LIMIT,
  type RunColumns,
  type RunTableOptions,
  type RunTablePage,
  type RunTableRow,
} from '../tracking-views.ts';
import { parseExperimentId } from './experiment-records.ts';
import { stagesOf } from './lifecycle-stages.ts';
import { inList, RUN_COLUMNS, type RunRow, toRunInfo } from './run-data.ts';
import { buildRunCount, buildRunSearch } from './run-search.ts';

const COLUMN_KINDS = { params: 'tracking_params', metrics: 'tracking_latest_metrics', tags: 'tracking_tags' };
type ColumnKind = keyof typeof COLUMN_KINDS;

/** The keys of one kind a table asks for: a list, or every key (`params.*`). */
type KindKeys = string[] | 'all';

/** `params.lr`, `metrics.loss`, `tags.team`, `metrics.*` → keys by kind; undefined → every key. */
function columnKeys(columns: readonly string[] | undefined): Record<ColumnKind, KindKeys> | undefined {
  if (columns === undefined) return undefined;
  const keys: Record<ColumnKind, KindKeys> = { params: [], metrics: [], tags: [] };
  for (const column of columns) {
    const dot = column.indexOf('.');
    const kind = column.slice(0, dot) as ColumnKind;
    if (dot < 1 || !(kind in COLUMN_KINDS) || dot === column.length - 1)
      throw errors.invalid(
        `invalid column "${column}": use params.<key>, metrics.<key> or tags.<key> (<kind>.* for every key)`,
      );
    const key = column.slice(dot + 1);
    const list = keys[kind];
    if (key === '*') keys[kind] = 'all';
    else if (list !== 'all') list.push(key);
  }
  return keys;
}

function experimentIdsOf(ids: readonly string[]): number[] {
  return ids.map((id) => {
    const numeric = parseExperimentId(id);
    if (numeric === undefined) throw errors.invalid(`Invalid experiment ID: '${id}'`);
    return numeric;
  });
}

/**
 * One window of a run search as table rows: the same filter and order as runs/search, the
 * total number of matches, and only the columns asked for (one query per kind of column for the
 * whole window, each answered from the run's primary key).
 */
export async function queryRunTable(db: SqlExecutor, options: RunTableOptions): Promise<RunTablePage> {
  const { offset, limit } = options;
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw errors.invalid(`invalid offset ${offset}: give a whole number ≥ 0`);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > RUN_TABLE_MAX_LIMIT)
    throw errors.invalid(`invalid limit ${limit}: give 1 to ${RUN_TABLE_MAX_LIMIT}`);
  const experimentIds = experimentIdsOf(options.experimentIds);
  const keys = columnKeys(options.columns);
  if (experimentIds.length === 0) return { total: 0, offset, runs: [] };
  const scope = { experimentIds, stages: stagesOf(options.viewType), filter: options.filter };
  const search = buildRunSearch({ ...scope, orderBy: options.orderBy, limit, offset });
  const count = buildRunCount(scope);
  const [idRows, counted] = await Promise.all([
    db.all<{ run_uuid: string }>(search.sql, search.params),
    db.get<{ n: number | string }>(count.sql, count.params),
  ]);
  const ids = idRows.map((r) => r.run_uuid);
  return { total: Number(counted?.n ?? 0), offset, runs: await tableRows(db, ids, keys) };
}

async function tableRows(
  db: SqlExecutor,
  ids: string[],
  keys: Record<ColumnKind, KindKeys> | undefined,
): Promise<RunTableRow[]> {
  if (ids.length === 0) return [];
  const { sql: list, params } = inList(ids);
  const values = (kind: ColumnKind) => {
    const wanted = keys?.[kind] ?? 'all';
    if (wanted !== 'all' && wanted.length === 0) return Promise.resolve([]);
    const keyList = wanted === 'all' ? undefined : inList(wanted);
    const columns = kind === 'metrics' ? 'run_uuid, key, value, is_nan' : 'run_uuid, key, value';
    const sql = `SELECT ${columns} FROM ${COLUMN_KINDS[kind]} WHERE run_uuid ${list}${keyList ? ` AND key ${keyList.sql}` : ''}`;
    const all: SqlValue[] = [...params, ...(keyList?.params ?? [])];
    return db.all<{ run_uuid: string; key: string; value: string | number; is_nan?: number }>(sql, all);
  };
  const [runs, paramRows, metricRows, tagRows] = await Promise.all([
    db.all<RunRow>(`SELECT ${RUN_COLUMNS} FROM tracking_runs r WHERE r.run_uuid ${list}`, params),
    values('params'),
    values('metrics'),
    values('tags'),
  ]);
  const byId = new Map<string, RunTableRow>();
  for (const row of runs) {
    const info = toRunInfo(row);
    byId.set(info.run_id, {
      run_id: info.run_id,
      run_name: info.run_name,
      experiment_id: info.experiment_id,
      user_id: info.user_id,
      status: info.status,
      start_time: info.start_time,
      ...(info.end_time === undefined ? {} : { end_time: info.end_time }),
      lifecycle_stage: info.lifecycle_stage,
      metrics: {},
      params: {},
      tags: {},
    });
  }
  for (const r of paramRows) {
    const run = byId.get(r.run_uuid);
    if (run) run.params[r.key] = String(r.value);
  }
  for (const r of tagRows) {
    const run = byId.get(r.run_uuid);
    if (run) run.tags[r.key] = String(r.value);
  }
  for (const r of metricRows) {
    const run = byId.get(r.run_uuid);
    if (run) run.metrics[r.key] = Number(r.is_nan) === 1 ? Number.NaN : Number(r.value);
  }
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/**
 * The keys of params, metrics and tags that runs of these experiments use. Each list is read
 * as a skip scan of its (experiment_id, key, …) index, one seek per distinct key, so an
 * experiment of 10,000 runs answers as fast as one of ten.
 */
export async function queryRunColumns(db: SqlExecutor, ids: readonly string[]): Promise<RunColumns> {
  const experimentIds = experimentIdsOf(ids);
  const keysOf = async (table: string): Promise<string[]> => {
    const found = new Set<string>();
    for (const experiment of experimentIds) {
      const rows = await db.all<{ key: string | null }>(
        `WITH RECURSIVE k(key) AS (
           SELECT MIN(key) FROM ${table} WHERE experiment_id = ?
           UNION ALL
           SELECT (SELECT MIN(t.key) FROM ${table} t WHERE t.experiment_id = ? AND t.key > k.key)
           FROM k WHERE k.key IS NOT NULL
         ) SELECT key FROM k WHERE key IS NOT NULL`,
        [experiment, experiment],
      );
      for (const r of rows) if (r.key !== null) found.add(r.key);
    }
    return [...found].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  };
  const [params, metrics, tags] = await Promise.all([
    keysOf('tracking_params'),
    keysOf('tracking_latest_metrics'),
    keysOf('tracking_tags'),
  ]);
  return { params, metrics, tags };
}
