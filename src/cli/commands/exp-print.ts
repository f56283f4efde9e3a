import type { RunDetails } from '../../tracking/views/run-details.ts';
import type { RunDiff } from '../../tracking/views/run-diff.ts';
import { SHORT_ID } from '../../tracking/views/run-lookup.ts';
import { compare, type RunColumns, type RunSummary } from '../../tracking/views/run-summary.ts';
import { formatDuration, plural, table } from '../format.ts';
import type { CliSession } from '../session.ts';

const PARAM_WIDTH = 24;

/** A number as people read it: integers whole, others to 6 significant digits without trailing zeros. */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v)) return String(v);
  const text = v.toPrecision(6);
  return text.includes('.') && !text.includes('e') ? text.replace(/\.?0+$/, '') : text;
}

/** Local time to the minute: `2026-03-14 09:26`. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

function clip(text: string, width: number): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > width ? `${one.slice(0, width - 1)}…` : one;
}

export function printRunList(
  s: CliSession,
  runs: readonly RunSummary[],
  columns: RunColumns,
  more: boolean,
  limit: number,
): void {
  if (runs.length === 0) {
    s.out('No runs. Record one with `cairn run`, or from code with the SDK (Tracking.startRun).');
    return;
  }
  const experiments = new Set(runs.map((r) => r.experiment_id));
  const both = new Set(columns.metrics.filter((k) => columns.params.includes(k)));
  const header = [
    'run',
    'name',
    'status',
    'started',
    'took',
    ...(experiments.size > 1 ? ['experiment'] : []),
    ...columns.metrics,
    ...columns.params.map((k) => (both.has(k) ? `param:${k}` : k)),
  ];
  const rows = runs.map((r) => [
    r.run_id.slice(0, SHORT_ID),
    clip(r.run_name, 28),
    r.status,
    formatTime(r.start_time),
    r.duration_ms !== undefined ? formatDuration(r.duration_ms) : '-',
    ...(experiments.size > 1 ? [r.experiment_name ?? r.experiment_id] : []),
    ...columns.metrics.map((k) => (r.metrics[k] !== undefined ? formatNumber(r.metrics[k]) : '-')),
    ...columns.params.map((k) => (r.params[k] !== undefined ? clip(r.params[k], PARAM_WIDTH) : '-')),
  ]);
  s.out(table([header, ...rows]));
  s.out(
    more
      ? `${plural(runs.length, 'run')} shown; more match (--limit ${limit * 5} to see more)`
      : plural(runs.length, 'run'),
  );
}

export function printDetails(s: CliSession, d: RunDetails, all: boolean): void {
  const tag = (k: string) => d.tags[k];
  const head: string[][] = [
    ['run', `${d.run_id}  (${d.run_name})`],
    ['experiment', `${d.experiment_name ?? ''} (${d.experiment_id})`.trim()],
    [
      'status',
      `${d.status}, started ${formatTime(d.start_time)}${d.duration_ms !== undefined ? `, took ${formatDuration(d.duration_ms)}` : ''}`,
    ],
  ];
  if (tag('mlflow.user')) head.push(['user', tag('mlflow.user') as string]);
  const commit = tag('mlflow.source.git.commit');
  if (commit) {
    const branch = tag('mlflow.source.git.branch');
    const dirty = tag('cairn.git.dirty') === 'true' ? ' (uncommitted changes)' : '';
    head.push(['git', `${commit.slice(0, 12)}${branch ? ` on ${branch}` : ''}${dirty}`]);
  }
  if (tag('cairn.command')) head.push(['command', tag('cairn.command') as string]);
  else if (tag('mlflow.source.name')) head.push(['source', tag('mlflow.source.name') as string]);
  if (tag('cairn.params.overrides')) head.push(['overrides', tag('cairn.params.overrides') as string]);
  head.push(['artifacts', d.artifact_uri]);
  s.out(table(head));

  const params = Object.entries(d.params).sort(([a], [b]) => compare(a, b));
  section(s, 'params', params.length === 0 ? [] : params.map(([k, v]) => [k, clip(v, 80)]));
  section(
    s,
    'metrics',
    d.metric_history.length === 0
      ? []
      : [
          ['key', 'value', 'step', 'points', 'min', 'max'],
          ...d.metric_history.map((m) => [
            m.key,
            formatNumber(m.value),
            String(m.step),
            String(m.points),
            formatNumber(m.min),
            formatNumber(m.max),
          ]),
        ],
  );
  section(
    s,
    'stages',
    d.stages.map((st) => [
      st.name,
      st.status,
      st.duration_ms !== undefined ? formatDuration(st.duration_ms) : '',
    ]),
  );
  section(
    s,
    'inputs',
    d.inputs.map((i) => [i.name, i.source_type, i.digest.slice(0, 12), i.context ? `(${i.context})` : '']),
  );
  section(
    s,
    'outputs',
    d.outputs.map((o) => [o.path, o.hash.slice(0, 'sha256:'.length + 12)]),
  );
  const tags = Object.entries(all ? d.tags : d.user_tags).sort(([a], [b]) => compare(a, b));
  section(
    s,
    all ? 'tags' : 'tags (--all also lists mlflow.* and cairn.* tags)',
    tags.map(([k, v]) => [k, clip(v, 100)]),
  );
}

function section(s: CliSession, title: string, rows: string[][]): void {
  if (rows.length === 0) return;
  s.out('');
  s.out(title);
  s.out(
    table(rows)
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
  );
}

export function printDiff(s: CliSession, diff: RunDiff, all: boolean): void {
  const a = diff.a.run_id.slice(0, SHORT_ID);
  const b = diff.b.run_id.slice(0, SHORT_ID);
  s.out(`comparing ${a} (${diff.a.run_name}) -> ${b} (${diff.b.run_name})`);
  const shown = diff.params.filter((p) => all || p.change !== 'same');
  const same = diff.params.length - shown.length;
  if (shown.length > 0) {
    s.out('');
    s.out(
      table([
        ['param', a, b, 'change'],
        ...shown.map((p) => [p.key, clip(p.a ?? '-', PARAM_WIDTH), clip(p.b ?? '-', PARAM_WIDTH), p.change]),
      ]),
    );
  }
  if (same > 0) s.out(`${plural(same, 'param')} the same in both runs${all ? '' : ' (--all lists them)'}`);
  if (diff.params.length === 0) s.out('no params');
  s.out('');
  if (diff.metrics.length === 0) {
    s.out('no metrics');
    return;
  }
  const signed = (v: number) => (v > 0 ? `+${formatNumber(v)}` : formatNumber(v));
  s.out(
    table([
      ['metric', a, b, 'delta', 'change'],
      ...diff.metrics.map((m) => [
        m.key,
        m.a !== undefined ? formatNumber(m.a) : '-',
        m.b !== undefined ? formatNumber(m.b) : '-',
        m.delta !== undefined ? signed(m.delta) : '-',
        m.pct_change !== undefined ? `${signed(Number(m.pct_change.toFixed(2)))}%` : '-',
      ]),
    ]),
  );
}
