import type { Comparison, GateRule } from '../../pipeline/definition/gate-rules.ts';
import type { SliceResult } from '../evaluation/evaluate.ts';
import type { MetricSet } from '../metrics/metric-set.ts';
import type { RuleOutcome } from './gate-result.ts';

type Rule<K extends GateRule['kind']> = Extract<GateRule, { kind: K }>;

export function compare(value: number, op: Comparison, threshold: number): boolean {
  switch (op) {
    case '>=':
      return value >= threshold;
    case '>':
      return value > threshold;
    case '<=':
      return value <= threshold;
    case '<':
      return value < threshold;
  }
}

function base(rule: GateRule, threshold: string): Pick<RuleOutcome, 'rule' | 'kind' | 'line' | 'threshold'> {
  return { rule: rule.text, kind: rule.kind, line: rule.line, threshold };
}

function unknownMetric(metrics: MetricSet, metric: string): string {
  return metrics.undefined[metric] !== undefined
    ? `${metric} is undefined on this data: ${metrics.undefined[metric]}`
    : `${metric} is not a metric of this model's task (it has ${Object.keys(metrics.values).join(', ')})`;
}

/** `roc_auc >= 0.88`: an undefined metric fails, saying why. */
export function checkMetric(rule: Rule<'metric'>, metrics: MetricSet): RuleOutcome {
  const out = base(rule, `${rule.op} ${rule.value}`);
  const value = metrics.values[rule.metric];
  if (value === undefined) return { ...out, passed: false, detail: unknownMetric(metrics, rule.metric) };
  return { ...out, passed: compare(value, rule.op, rule.value), value };
}

/** `roc_auc >= champion.roc_auc - 0.005`, with both models evaluated on the same data. */
export function checkRelative(rule: Rule<'relative'>, metrics: MetricSet, champion: MetricSet): RuleOutcome {
  const theirs = champion.values[rule.metric];
  const offset = rule.offset === 0 ? '' : ` ${rule.offset < 0 ? '-' : '+'} ${Math.abs(rule.offset)}`;
  if (theirs === undefined)
    return {
      ...base(rule, `${rule.op} ${rule.alias}${offset}`),
      passed: false,
      detail: `the ${rule.alias}'s ${unknownMetric(champion, rule.metric)}`,
    };
  const threshold = theirs + rule.offset;
  const out = { ...base(rule, `${rule.op} ${round(threshold)}`), champion: theirs };
  const value = metrics.values[rule.metric];
  if (value === undefined) return { ...out, passed: false, detail: unknownMetric(metrics, rule.metric) };
  return { ...out, passed: compare(value, rule.op, threshold), value };
}

/**
 * `{ slice: sex, metric: recall, max_gap: 0.1 }`: the largest difference of the metric between
 * two groups of the slice. Groups where the metric is undefined are left out and named; fewer
 * than two groups with a value fails (there is no gap to measure, so no evidence of fairness).
 */
export function checkSliceGap(rule: Rule<'slice_gap'>, slice: SliceResult): RuleOutcome {
  const out = base(rule, `<= ${rule.maxGap}`);
  const defined = slice.groups.filter((g) => g.metrics.values[rule.metric] !== undefined);
  const skipped = slice.groups.filter((g) => g.metrics.values[rule.metric] === undefined);
  const skippedNote =
    skipped.length > 0
      ? `; left out, ${rule.metric} undefined: ${skipped.map((g) => `${g.label} (${g.metrics.undefined[rule.metric] ?? 'no value'})`).join(', ')}`
      : '';
  if (defined.length < 2)
    return {
      ...out,
      passed: false,
      detail: `fewer than two groups of ${rule.column} have a ${rule.metric}${skippedNote}`,
    };
  const value = (g: (typeof defined)[number]) => g.metrics.values[rule.metric] as number;
  const low = defined.reduce((a, b) => (value(b) < value(a) ? b : a));
  const high = defined.reduce((a, b) => (value(b) > value(a) ? b : a));
  const gap = value(high) - value(low);
  return {
    ...out,
    passed: gap <= rule.maxGap,
    value: gap,
    detail: `${rule.metric} ${round(value(low))} for ${rule.column}=${low.label}, ${round(value(high))} for ${rule.column}=${high.label}${skippedNote}`,
  };
}

/** `latency_p99_ms <= 5`, from single-row latencies measured in milliseconds. */
export function checkLatency(rule: Rule<'latency'>, latenciesMs: readonly number[]): RuleOutcome {
  const value = percentile(latenciesMs, rule.percentile);
  return {
    ...base(rule, `${rule.op} ${rule.value} ms`),
    passed: compare(value, rule.op, rule.value),
    value,
    detail: `p${rule.percentile} of ${latenciesMs.length} single-row predictions through ONNX Runtime`,
  };
}

/** An input column of a model, as signatures list them. */
export interface SignatureColumn {
  name: string;
  type: string;
}

/** `signature: compatible_with champion`: every champion input is still taken, with the same type. */
export function checkSignature(
  rule: Rule<'signature'>,
  candidate: readonly SignatureColumn[],
  champion: readonly SignatureColumn[],
): RuleOutcome {
  const out = base(rule, `compatible with ${rule.alias}`);
  const mine = new Map(candidate.map((c) => [c.name, c.type]));
  const removed = champion.filter((c) => !mine.has(c.name)).map((c) => c.name);
  const changed = champion
    .filter((c) => mine.has(c.name) && mine.get(c.name) !== c.type)
    .map((c) => `${c.name} ${c.type} → ${mine.get(c.name)}`);
  const added = candidate.filter((c) => !champion.some((x) => x.name === c.name)).map((c) => c.name);
  const problems = [
    removed.length > 0 ? `removed input${removed.length > 1 ? 's' : ''} ${removed.join(', ')}` : '',
    changed.length > 0 ? `changed type${changed.length > 1 ? 's' : ''} ${changed.join(', ')}` : '',
  ].filter(Boolean);
  if (problems.length > 0) return { ...out, passed: false, detail: problems.join('; ') };
  return {
    ...out,
    passed: true,
    detail:
      added.length > 0
        ? `adds input${added.length > 1 ? 's' : ''} ${added.join(', ')}`
        : 'same inputs and types',
  };
}

/** The invariance rule from the largest change of the prediction when the column was perturbed. */
export function checkInvariance(
  rule: Rule<'invariance'>,
  maxChange: number,
  rows: number,
  what: string,
): RuleOutcome {
  return {
    ...base(rule, `<= ${rule.maxPredictionChange}`),
    passed: maxChange <= rule.maxPredictionChange,
    value: maxChange,
    detail: `largest change of ${what} over ${rows} rows with ${rule.column} scaled by 1 ± ${rule.perturb}`,
  };
}

/** The p-th percentile (linear interpolation, as NumPy's default). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const position = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(position);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (position - lo);
}

function round(x: number): number {
  return Number(x.toPrecision(6));
}
