import type { GateResult } from '../../ml/gates/gate-result.ts';
import { gateSummaryMarkdown } from '../../ml/report/gate-summary.ts';
import { formatMetric } from '../../ml/report/html-text.ts';
import type { Comparison, DatasetRow, MetricRow } from './compare-sides.ts';
import type { DatasetState, ReportSide } from './report-side.ts';

export interface ReportContent {
  base: ReportSide;
  head: ReportSide;
  comparison: Comparison;
  gates: readonly GateResult[];
  /** Gate result files that were named but hold no result (the gate step failed before writing one). */
  missingGates: readonly string[];
  /** HTML reports of the pipeline, with where to open them. */
  htmlReports: readonly { path: string; url?: string }[];
  /** Things the reader should know, beyond each side's notes. */
  notes: readonly string[];
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function value(v: unknown): string {
  if (v === undefined) return '—';
  if (typeof v === 'number') return formatMetric(v);
  return `\`${cell(typeof v === 'string' ? v : JSON.stringify(v))}\``;
}

function signed(n: number): string {
  const s = formatMetric(n);
  return n > 0 ? `+${s}` : s;
}

const VERDICT = { better: '🟢 better', worse: '🔴 worse', same: 'same' } as const;

function metricLine(m: MetricRow): string {
  const arrow = m.direction === 'higher' ? ' ↑' : m.direction === 'lower' ? ' ↓' : '';
  const pct =
    m.delta !== undefined && m.base !== undefined && m.base !== 0
      ? ` (${signed((100 * m.delta) / Math.abs(m.base))}%)`
      : '';
  const delta =
    m.delta === undefined ? (m.base === undefined ? 'new' : 'removed') : `${signed(m.delta)}${pct}`;
  return `| ${cell(m.stage)} | \`${cell(m.key)}\`${arrow} | ${value(m.base)} | ${value(m.head)} | ${delta} | ${m.verdict ? VERDICT[m.verdict] : ''} |`;
}

function bytes(n: number | undefined): string {
  if (n === undefined) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

function state(s: (DatasetState & { rows?: number }) | undefined): string {
  if (!s) return '—';
  const parts = [`\`${s.hash.slice(0, 'sha256:'.length + 12)}…\``];
  if (s.size !== undefined) parts.push(bytes(s.size));
  if (s.files !== undefined) parts.push(`${s.files.toLocaleString('en-US')} files`);
  if (s.rows !== undefined) parts.push(`${s.rows.toLocaleString('en-US')} rows`);
  return parts.join(' · ');
}

function datasetLine(d: DatasetRow): string {
  return `| \`${cell(d.path)}\` | ${d.change} | ${state(d.base)} | ${state(d.head)} |`;
}

function runLine(side: ReportSide, who: string): string | undefined {
  if (!side.run) return undefined;
  const name = side.run.name ? `${side.run.name} (${side.run.id.slice(0, 8)})` : side.run.id;
  return `- ${who}: run ${side.run.url ? `[${cell(name)}](${side.run.url})` : `\`${name}\``}`;
}

/** The report as one Markdown document for a pull-request comment or a job summary. */
export function reportMarkdown(c: ReportContent): string {
  const { comparison: cmp } = c;
  const out: string[] = [`## Cairn report: ${cell(c.head.label)} against ${cell(c.base.label)}`, ''];
  const compared = cmp.metrics.filter((m) => m.delta !== undefined);
  const better = compared.filter((m) => m.verdict === 'better').length;
  const worse = compared.filter((m) => m.verdict === 'worse').length;
  const failed = c.gates.filter((g) => !g.passed);
  const headline: string[] = [];
  if (c.gates.length > 0)
    headline.push(
      failed.length === 0
        ? `✅ ${c.gates.length === 1 ? 'gate' : `${c.gates.length} gates`} passed`
        : `❌ gate${failed.length > 1 ? 's' : ''} ${failed.map((g) => `\`${g.gate}\``).join(', ')} failed`,
    );
  else if (c.missingGates.length > 0) headline.push('⚠️ no gate result');
  headline.push(
    `${compared.length} metric${compared.length === 1 ? '' : 's'} compared (${better} better, ${worse} worse)`,
    `${cmp.params.length} param${cmp.params.length === 1 ? '' : 's'} changed`,
    `${cmp.datasets.length} data set${cmp.datasets.length === 1 ? '' : 's'} changed`,
  );
  out.push(`**${headline.join(' · ')}**`, '');

  if (c.gates.length > 0 || c.missingGates.length > 0) {
    out.push('### Gates', '');
    for (const g of c.gates) out.push(gateSummaryMarkdown(g).replace(/^### /, '#### '));
    for (const f of c.missingGates)
      out.push(
        `- ⚠️ \`${cell(f)}\` holds no gate result: \`cairn gate\` stopped before writing one (see its step).`,
        '',
      );
  }

  out.push('### Metrics', '');
  if (cmp.metrics.length === 0)
    out.push('No metrics: no stage of cairn.yaml declares `metrics:` files, and no run was found.', '');
  else {
    if (cmp.noBaseMetrics)
      out.push(
        `> ⚠️ ${cell(c.base.label)} has none of these metrics: nothing to compare with, the values are shown alone.`,
        '',
      );
    out.push(
      `| stage | metric | ${cell(c.base.label)} | ${cell(c.head.label)} | Δ | |`,
      '| --- | --- | ---: | ---: | ---: | --- |',
      ...cmp.metrics.map(metricLine),
      '',
    );
  }

  out.push('### Params', '');
  if (cmp.params.length === 0) out.push('No param changed.', '');
  else
    out.push(
      `| param | ${cell(c.base.label)} | ${cell(c.head.label)} |`,
      '| --- | --- | --- |',
      ...cmp.params.map((p) => `| \`${cell(p.key)}\` | ${value(p.base)} | ${value(p.head)} |`),
      '',
    );

  out.push('### Data', '');
  if (cmp.datasets.length === 0) out.push('No data set changed.', '');
  else
    out.push(
      `| data set | change | ${cell(c.base.label)} | ${cell(c.head.label)} |`,
      '| --- | --- | --- | --- |',
      ...cmp.datasets.map(datasetLine),
      '',
    );

  const links = [runLine(c.head, cell(c.head.label)), runLine(c.base, cell(c.base.label))].filter(
    (l): l is string => l !== undefined,
  );
  for (const r of c.htmlReports)
    links.push(
      `- report: ${r.url ? `[\`${cell(r.path)}\`](${r.url})` : `\`${cell(r.path)}\` (in the job's artifacts)`}`,
    );
  if (links.length > 0) out.push('### Runs and reports', '', ...links, '');

  const notes = [
    ...c.notes,
    ...c.base.notes.map((n) => `${c.base.label}: ${n}`),
    ...c.head.notes.map((n) => `${c.head.label}: ${n}`),
  ];
  if (notes.length > 0)
    out.push(
      '<details><summary>Notes</summary>',
      '',
      ...notes.map((n) => `- ${cell(n)}`),
      '',
      '</details>',
      '',
    );
  return out.join('\n');
}
