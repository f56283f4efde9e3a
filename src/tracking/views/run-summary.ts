import { errors } from '../../kernel/errors.ts';
import { parseFilter, parseOrderBy } from '../search-filter.ts';
import type { Run, RunStatus } from '../tracking-types.ts';

/** A run flattened for listings and scripts: metrics, params and tags as plain objects. */
export interface RunSummary {
  run_id: string;
  run_name: string;
  experiment_id: string;
  experiment_name?: string;
  status: RunStatus;
  start_time: number;
  end_time?: number;
  /** end_time − start_time, absent while the run has no end time. */
  duration_ms?: number;
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
}

export function summarizeRun(run: Run, experimentName?: string): RunSummary {
  const { info, data } = run;
  return {
    run_id: info.run_id,
    run_name: info.run_name,
    experiment_id: info.experiment_id,
    ...(experimentName !== undefined ? { experiment_name: experimentName } : {}),
    status: info.status,
    start_time: info.start_time,
    ...(info.end_time !== undefined && info.end_time !== null
      ? { end_time: info.end_time, duration_ms: info.end_time - info.start_time }
      : {}),
    metrics: Object.fromEntries(data.metrics.map((m) => [m.key, m.value])),
    params: Object.fromEntries(data.params.map((p) => [p.key, p.value])),
    tags: Object.fromEntries(data.tags.map((t) => [t.key, t.value])),
  };
}

/** Metric and param columns of a run listing. */
export interface RunColumns {
  metrics: string[];
  params: string[];
}

export const LISTED_METRICS = 4;
export const LISTED_PARAMS = 3;

/**
 * Which metrics and params a run listing shows, most useful first:
 * metrics — those the sort and the filter name, then those most runs have (ties by name), up to 4;
 * params — those the sort and the filter name, then those whose value differs between the
 * listed runs (most runs first), up to 3. Params every run has with one value tell runs apart
 * no better than nothing, so they are left out. `all` keeps every metric and param.
 */
export function chooseColumns(
  runs: readonly RunSummary[],
  hints: { filter?: string | undefined; orderBy?: readonly string[] | undefined; all?: boolean | undefined },
): RunColumns {
  const named = { metric: [] as string[], param: [] as string[] };
  const note = (entity: string | undefined, key: string) => {
    if (entity === 'metric' || entity === 'param') named[entity].push(key);
  };
  for (const clause of hints.orderBy ?? []) {
    const { identifier } = parseOrderBy(clause);
    note(identifier.entity, identifier.key);
  }
  for (const c of parseFilter(hints.filter)) note(c.identifier.entity, c.identifier.key);

  const metricCounts = countKeys(runs.map((r) => Object.keys(r.metrics)));
  const paramCounts = countKeys(runs.map((r) => Object.keys(r.params)));
  const byUse = (counts: Map<string, number>) =>
    [...counts.keys()].sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0) || compare(a, b));
  const varying = byUse(paramCounts).filter((key) => {
    const values = new Set(runs.map((r) => r.params[key]));
    return values.size > 1;
  });
  const pick = (first: string[], rest: string[], max: number) =>
    [...new Set([...first, ...rest])].slice(0, hints.all ? Number.POSITIVE_INFINITY : max);
  return {
    metrics: pick(named.metric, byUse(metricCounts), LISTED_METRICS),
    params: hints.all ? pick(named.param, byUse(paramCounts), 0) : pick(named.param, varying, LISTED_PARAMS),
  };
}

function countKeys(keyLists: readonly string[][]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const keys of keyLists) for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return counts;
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `--sort` as an MLflow order_by clause: `metrics.auc` (ascending), `-metrics.auc` or
 * `metrics.auc desc` (descending).
 */
export function orderByClause(sort: string): string {
  const text = sort.trim();
  const key = text.startsWith('-') ? text.slice(1).trim() : text;
  if (key === '')
    throw errors.invalid(`--sort ${JSON.stringify(sort)}: name a key`, {
      hint: 'for example --sort -metrics.auc',
    });
  const clause = text.startsWith('-') ? `${key} DESC` : text;
  parseOrderBy(clause);
  return clause;
}

/** One stage of a `cairn run`, from the run's `cairn.stage.<name>.*` tags. */
export interface StageOutcome {
  name: string;
  status: string;
  duration_ms?: number;
}

const STAGE_TAG = /^cairn\.stage\.(.+)\.(status|duration_ms)$/;

export function stageOutcomes(tags: Readonly<Record<string, string>>): StageOutcome[] {
  const stages = new Map<string, StageOutcome>();
  for (const [key, value] of Object.entries(tags)) {
    const m = STAGE_TAG.exec(key);
    if (!m) continue;
    const name = m[1] as string;
    const stage = stages.get(name) ?? { name, status: '' };
    if (m[2] === 'status') stage.status = value;
    else if (/^\d+$/.test(value)) stage.duration_ms = Number(value);
    stages.set(name, stage);
  }
  return [...stages.values()].sort((a, b) => compare(a.name, b.name));
}

/** Outputs recorded as `cairn.output.<path>` tags: path → hash. */
export function recordedOutputs(tags: Readonly<Record<string, string>>): { path: string; hash: string }[] {
  return Object.entries(tags)
    .filter(([key]) => key.startsWith('cairn.output.'))
    .map(([key, hash]) => ({ path: key.slice('cairn.output.'.length), hash }))
    .sort((a, b) => compare(a.path, b.path));
}

/**
 * Tags a person set, as opposed to the ones MLflow and Cairn record about every run
 * (`mlflow.*`, `cairn.*`), which `cairn exp show` summarises instead of listing.
 */
export function isSystemTag(key: string): boolean {
  return key.startsWith('mlflow.') || key.startsWith('cairn.');
}
