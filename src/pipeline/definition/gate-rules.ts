import { didYouMean } from './pipeline-problems.ts';

/**
 * The grammar of one rule of a gate in cairn.yaml. A rule is a comparison written as text or a
 * one-key mapping:
 *
 *     roc_auc >= 0.88                              a metric against a number
 *     roc_auc >= champion.roc_auc - 0.005          against the version an alias names
 *     latency_p99_ms <= 5                          single-row inference latency, a percentile in ms
 *     { slice: sex, metric: recall, max_gap: 0.1 } the spread of a metric across a slice's groups
 *     signature: compatible_with champion          no input removed, no input type changed
 *     invariance: { column: fnlwgt, perturb: 0.05, max_prediction_change: 0.01 }
 */
export const COMPARISONS = ['>=', '>', '<=', '<'] as const;
export type Comparison = (typeof COMPARISONS)[number];

/** The metrics a rule may name: those src/ml/metrics computes (a test holds the two lists together). */
export const GATE_METRICS = [
  'accuracy',
  'precision',
  'recall',
  'f1',
  'roc_auc',
  'pr_auc',
  'log_loss',
  'brier',
  'precision_weighted',
  'recall_weighted',
  'f1_weighted',
  'rmse',
  'mae',
  'r2',
  'mape',
] as const;

interface RuleBase {
  /** The rule as written, for tables and messages. */
  text: string;
  line: number;
}

export type GateRule =
  | (RuleBase & { kind: 'metric'; metric: string; op: Comparison; value: number })
  | (RuleBase & { kind: 'relative'; metric: string; op: Comparison; alias: string; offset: number })
  | (RuleBase & { kind: 'latency'; percentile: number; op: Comparison; value: number })
  | (RuleBase & { kind: 'slice_gap'; column: string; bins?: number; metric: string; maxGap: number })
  | (RuleBase & { kind: 'signature'; alias: string })
  | (RuleBase & {
      kind: 'invariance';
      column: string;
      perturb: number;
      maxPredictionChange: number;
    });

export type RuleInput = string | Record<string, unknown>;

/** A rule, or why it does not parse (a message without file or line). */
export type ParsedRule = { rule: GateRule } | { problem: string };

const NUMBER = String.raw`[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?`;
const NAME = '[A-Za-z_][A-Za-z0-9_]*';
const COMPARISON = new RegExp(String.raw`^\s*(${NAME})\s*(>=|<=|>|<)\s*(.+?)\s*$`);
const ABSOLUTE = new RegExp(`^(${NUMBER})$`);
const RELATIVE = new RegExp(String.raw`^(${NAME})\.(${NAME})\s*(?:([+-])\s*(${NUMBER}))?$`);
const LATENCY = /^latency_p(\d{1,2}(?:\.\d+)?)_ms$/;

const EXAMPLES =
  'write e.g. "roc_auc >= 0.88", "roc_auc >= champion.roc_auc - 0.005", "latency_p99_ms <= 5", ' +
  '{ slice: sex, metric: recall, max_gap: 0.1 }, "signature: compatible_with champion" or ' +
  '{ invariance: { column: c, perturb: 0.05, max_prediction_change: 0.01 } }';

export function parseRule(input: RuleInput, line: number): ParsedRule {
  if (typeof input === 'string') {
    const keyed = /^\s*(slice|signature|invariance)\s*:\s*(.*)$/.exec(input);
    if (keyed) return parseKeyed(keyedText(keyed[1] as string, keyed[2] as string), input, line);
    return parseComparison(input, line);
  }
  return parseKeyed(input, textOf(input), line);
}

function parseComparison(text: string, line: number): ParsedRule {
  const m = COMPARISON.exec(text);
  if (!m) return { problem: `rule "${text}" does not parse: ${EXAMPLES}` };
  const [, left, op, right] = m as unknown as [string, string, Comparison, string];
  const latency = LATENCY.exec(left);
  if (latency) {
    const percentile = Number(latency[1]);
    const abs = ABSOLUTE.exec(right);
    if (!abs) return { problem: `rule "${text}": ${left} is compared with a number of milliseconds` };
    if (percentile <= 0 || percentile >= 100)
      return { problem: `rule "${text}": the percentile of ${left} must be between 0 and 100` };
    return { rule: { kind: 'latency', text, line, percentile, op, value: Number(abs[1]) } };
  }
  const unknown = unknownMetric(left, text);
  if (unknown) return { problem: unknown };
  const abs = ABSOLUTE.exec(right);
  if (abs) return { rule: { kind: 'metric', text, line, metric: left, op, value: Number(abs[1]) } };
  const rel = RELATIVE.exec(right);
  if (!rel)
    return {
      problem: `rule "${text}": the right side "${right}" must be a number or <alias>.<metric> [+|- number], e.g. champion.${left} - 0.005`,
    };
  const [, alias, metric, sign, offset] = rel as unknown as [string, string, string, string?, string?];
  if (metric !== left)
    return {
      problem: `rule "${text}" compares ${left} with ${alias}.${metric}: compare a metric with the same metric`,
    };
  const delta = offset === undefined ? 0 : Number(offset) * (sign === '-' ? -1 : 1);
  return { rule: { kind: 'relative', text, line, metric: left, op, alias, offset: delta } };
}

function unknownMetric(name: string, text: string): string | undefined {
  if ((GATE_METRICS as readonly string[]).includes(name)) return undefined;
  return `rule "${text}": unknown metric "${name}"${didYouMean(name, [...GATE_METRICS, 'latency_p99_ms'])} (known: ${GATE_METRICS.join(', ')}, latency_p<N>_ms)`;
}

/** `slice: sex, metric: recall, max_gap: 0.1` written as one string → its mapping. */
function keyedText(key: string, rest: string): Record<string, unknown> {
  if (key === 'signature') return { signature: rest.trim() };
  const fields = rest.replace(/^\{\s*|\s*\}$/g, '').split(',');
  const out: Record<string, unknown> = {};
  for (const [i, field] of fields.entries()) {
    const m = /^\s*(\w+)\s*:\s*(.*?)\s*$/.exec(field);
    if (i === 0 && key === 'slice' && !m) out.slice = field.trim();
    else if (m) out[m[1] as string] = scalar(m[2] as string);
    else out[`?${i}`] = field;
  }
  return key === 'slice' ? out : { [key]: out };
}

function scalar(text: string): string | number {
  return ABSOLUTE.test(text) ? Number(text) : text;
}

function textOf(input: Record<string, unknown>): string {
  const show = (v: unknown): string =>
    typeof v === 'object' && v !== null
      ? `{ ${Object.entries(v)
          .map(([k, x]) => `${k}: ${show(x)}`)
          .join(', ')} }`
      : String(v);
  return Object.entries(input)
    .map(([k, v]) => `${k}: ${show(v)}`)
    .join(', ');
}

function parseKeyed(input: Record<string, unknown>, text: string, line: number): ParsedRule {
  if ('slice' in input) return parseSliceGap(input, text, line);
  const keys = Object.keys(input);
  if (keys.length !== 1)
    return {
      problem: `rule "${text}" does not parse: a rule mapping has one key (slice, signature or invariance); ${EXAMPLES}`,
    };
  const key = keys[0] as string;
  const value = input[key];
  if (key === 'signature') {
    const m = typeof value === 'string' ? /^compatible_with\s+([A-Za-z0-9_-]+)$/.exec(value.trim()) : null;
    if (!m)
      return {
        problem: `rule "${text}": write the signature rule as "signature: compatible_with <alias>", e.g. compatible_with champion`,
      };
    return { rule: { kind: 'signature', text, line, alias: m[1] as string } };
  }
  if (key === 'invariance') return parseInvariance(value, text, line);
  return {
    problem: `rule "${text}": unknown rule kind "${key}"${didYouMean(key, ['slice', 'signature', 'invariance'])}; ${EXAMPLES}`,
  };
}

function parseSliceGap(input: Record<string, unknown>, text: string, line: number): ParsedRule {
  const allowed = ['slice', 'metric', 'max_gap', 'bins'];
  const extra = Object.keys(input).find((k) => !allowed.includes(k));
  if (extra !== undefined)
    return {
      problem: `rule "${text}": unknown key "${extra}"${didYouMean(extra, allowed)} (a slice rule has slice, metric, max_gap and optionally bins)`,
    };
  const { slice, metric, max_gap: maxGap, bins } = input;
  if (typeof slice !== 'string' || slice.trim() === '')
    return { problem: `rule "${text}": slice must name a column` };
  if (typeof metric !== 'string')
    return { problem: `rule "${text}": a slice rule needs metric: <name>, e.g. metric: recall` };
  const unknown = unknownMetric(metric, text);
  if (unknown) return { problem: unknown };
  if (typeof maxGap !== 'number' || !(maxGap >= 0))
    return { problem: `rule "${text}": max_gap must be a number >= 0, e.g. max_gap: 0.1` };
  if (bins !== undefined && (typeof bins !== 'number' || !Number.isInteger(bins) || bins < 2 || bins > 50))
    return { problem: `rule "${text}": bins must be a whole number from 2 to 50` };
  return {
    rule: {
      kind: 'slice_gap',
      text,
      line,
      column: slice.trim(),
      metric,
      maxGap,
      ...(bins !== undefined ? { bins } : {}),
    },
  };
}

function parseInvariance(value: unknown, text: string, line: number): ParsedRule {
  const allowed = ['column', 'perturb', 'max_prediction_change'];
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { problem: `rule "${text}": invariance takes { column, perturb, max_prediction_change }` };
  const v = value as Record<string, unknown>;
  const extra = Object.keys(v).find((k) => !allowed.includes(k));
  if (extra !== undefined)
    return {
      problem: `rule "${text}": unknown key "${extra}"${didYouMean(extra, allowed)} (known: ${allowed.join(', ')})`,
    };
  if (typeof v.column !== 'string' || v.column === '')
    return { problem: `rule "${text}": invariance needs column: <numeric column>` };
  if (typeof v.perturb !== 'number' || !(v.perturb > 0) || v.perturb >= 1)
    return {
      problem: `rule "${text}": perturb must be a fraction between 0 and 1, e.g. perturb: 0.05 (±5%)`,
    };
  const max = v.max_prediction_change;
  if (typeof max !== 'number' || !(max >= 0))
    return { problem: `rule "${text}": max_prediction_change must be a number >= 0, e.g. 0.01` };
  return {
    rule: { kind: 'invariance', text, line, column: v.column, perturb: v.perturb, maxPredictionChange: max },
  };
}
