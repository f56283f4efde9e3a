import { performance } from 'node:perf_hooks';
import { errors } from '../../kernel/errors.ts';
import type { GateDefinition, GateRule } from '../../pipeline/definition/gate-definitions.ts';
import type { Evaluation } from '../evaluation/evaluate.ts';
import { evaluateModel, predictionScores, requireColumn } from '../evaluation/evaluate-model.ts';
import type { SliceSpec } from '../metrics/slices.ts';
import { parseThreshold } from '../metrics/threshold.ts';
import type { OnnxRuntime } from '../runtime/onnx-runtime.ts';
import { numberColumn, type Table, takeRows } from '../table/table.ts';
import type { GateResult, RuleOutcome } from './gate-result.ts';
import {
  checkInvariance,
  checkLatency,
  checkMetric,
  checkRelative,
  checkSignature,
  checkSliceGap,
} from './rule-checks.ts';

/** A model under a gate: its runtime, and what the user called it. */
export interface GateSubject {
  runtime: OnnxRuntime;
  /** A directory or `models:/…`, as given. */
  ref: string;
  /** The registry version, when the subject is one. */
  version?: { name: string; version: string };
}

/**
 * The version an alias names, for the rules that compare with it; `first-version` when no
 * version holds the alias and the model has no version but the candidate (nothing to compare
 * with yet). Any other missing alias is an error the resolver throws.
 */
export type AliasResolver = (alias: string, rule: GateRule) => Promise<GateSubject | 'first-version'>;

export interface RunGateOptions {
  gate: GateDefinition;
  candidate: GateSubject;
  resolveAlias: AliasResolver;
  table: Table;
  data: { path: string; digest: string; rows: number };
  /** Single-row predictions timed for latency rules (default 200). */
  latencyRuns?: number;
  /** Called before each step, for progress on a terminal. */
  onStep?: (step: string) => void;
}

const DEFAULT_LATENCY_RUNS = 200;
const LATENCY_WARMUP = 20;
const FIRST_VERSION = 'no champion yet: the first version of the model has nothing to compare with';

/**
 * Evaluates every rule of a gate on the candidate: its metrics on the gate's data (with the
 * slices its rules name), the champion's on the same data for relative rules, single-row latency
 * through ONNX Runtime, signature compatibility and invariance under perturbation.
 */
export async function runGate(options: RunGateOptions): Promise<GateResult> {
  const { gate, candidate, table } = options;
  const step = options.onStep ?? (() => undefined);
  const threshold = gate.threshold
    ? parseThreshold(gate.threshold, `gate ${gate.name}: threshold`)
    : undefined;
  const slices: SliceSpec[] = [];
  for (const r of gate.rules)
    if (r.kind === 'slice_gap' && !slices.some((s) => s.column === r.column && s.bins === r.bins))
      slices.push({ column: r.column, ...(r.bins !== undefined ? { bins: r.bins } : {}) });
  for (const r of gate.rules)
    if (r.kind === 'invariance') {
      const column = requireColumn(table, r.column, options.data.path, 'invariance column');
      if (column.kind !== 'number')
        throw errors.invalid(
          `gate ${gate.name}: invariance column ${r.column} of ${options.data.path} holds text; perturbing needs numbers`,
          {
            hint: `rule "${r.text}" (cairn.yaml:${r.line}) must name a numeric column`,
          },
        );
    }

  const aliases = new Map<string, GateSubject | 'first-version'>();
  for (const r of gate.rules)
    if ((r.kind === 'relative' || r.kind === 'signature') && !aliases.has(r.alias))
      aliases.set(r.alias, await options.resolveAlias(r.alias, r));

  step(`evaluating ${candidate.ref}`);
  const evalOptions = { target: gate.target, data: options.data.path, ...(threshold ? { threshold } : {}) };
  const mine = await evaluateModel(candidate.runtime, table, { ...evalOptions, slices });
  const theirs = new Map<string, Evaluation>();
  for (const [alias, subject] of aliases)
    if (subject !== 'first-version' && gate.rules.some((r) => r.kind === 'relative' && r.alias === alias)) {
      step(`evaluating ${alias} (${subject.ref})`);
      theirs.set(alias, await evaluateModel(subject.runtime, table, evalOptions));
    }

  const outcomes: RuleOutcome[] = [];
  for (const rule of gate.rules) {
    switch (rule.kind) {
      case 'metric':
        outcomes.push(checkMetric(rule, mine.metrics));
        break;
      case 'relative': {
        const champion = theirs.get(rule.alias);
        outcomes.push(champion ? checkRelative(rule, mine.metrics, champion.metrics) : firstVersion(rule));
        break;
      }
      case 'slice_gap': {
        const slice = mine.slices.find((s) => s.column === rule.column && s.bins === rule.bins);
        outcomes.push(checkSliceGap(rule, slice ?? { column: rule.column, groups: [] }));
        break;
      }
      case 'latency':
        step('timing single-row predictions');
        outcomes.push(
          checkLatency(rule, await singleRowLatencies(candidate.runtime, table, options.latencyRuns)),
        );
        break;
      case 'signature': {
        const subject = aliases.get(rule.alias);
        outcomes.push(
          subject === 'first-version' || subject === undefined
            ? firstVersion(rule)
            : checkSignature(rule, candidate.runtime.inputs, subject.runtime.inputs),
        );
        break;
      }
      case 'invariance':
        step(`perturbing ${rule.column}`);
        outcomes.push(await invariance(rule, candidate.runtime, table));
        break;
    }
  }
  const firstChampion = [...aliases.entries()].find(([, s]) => s !== 'first-version');
  const champion = firstChampion?.[1] as GateSubject | undefined;
  const championEval = firstChampion ? theirs.get(firstChampion[0]) : undefined;
  return {
    gate: gate.name,
    model: candidate.ref,
    ...(candidate.version ? { version: candidate.version } : {}),
    ...(champion?.version && firstChampion
      ? { champion: { ...champion.version, alias: firstChampion[0] } }
      : {}),
    data: options.data,
    target: gate.target,
    passed: outcomes.every((o) => o.passed),
    rules: outcomes,
    metrics: mine.metrics,
    ...(championEval ? { champion_metrics: championEval.metrics } : {}),
    evaluated_at: new Date().toISOString(),
  };
}

function firstVersion(rule: Extract<GateRule, { kind: 'relative' | 'signature' }>): RuleOutcome {
  return {
    rule: rule.text,
    kind: rule.kind,
    line: rule.line,
    passed: true,
    threshold: rule.kind === 'signature' ? `compatible with ${rule.alias}` : `${rule.op} ${rule.alias}`,
    detail: FIRST_VERSION.replace('champion', rule.alias),
  };
}

/**
 * Milliseconds of single-row predictions through ONNX Runtime, after a warm-up: rows spread over
 * the table, each run alone, as a request to a served model would be.
 */
export async function singleRowLatencies(
  runtime: OnnxRuntime,
  table: Table,
  runs = DEFAULT_LATENCY_RUNS,
): Promise<number[]> {
  const count = Math.max(1, Math.min(runs, table.rows));
  const rows = Array.from({ length: count }, (_, i) =>
    takeRows(table, [Math.floor((i * table.rows) / count)]),
  );
  for (let i = 0; i < LATENCY_WARMUP; i++) await runtime.run(rows[i % rows.length] as Table);
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const row = rows[i % rows.length] as Table;
    const start = performance.now();
    await runtime.run(row);
    out.push(performance.now() - start);
  }
  return out;
}

async function invariance(
  rule: Extract<GateRule, { kind: 'invariance' }>,
  runtime: OnnxRuntime,
  table: Table,
): Promise<RuleOutcome> {
  const base = predictionScores(runtime, await runtime.predict(table));
  let max = 0;
  for (const factor of [1 - rule.perturb, 1 + rule.perturb]) {
    const perturbed: Table = {
      rows: table.rows,
      columns: table.columns.map((c) =>
        c.name === rule.column && c.kind === 'number'
          ? numberColumn(
              c.name,
              c.values.map((v) => v * factor),
            )
          : c,
      ),
    };
    const scores = predictionScores(runtime, await runtime.predict(perturbed));
    for (let k = 0; k < base.length; k++) {
      const a = base[k] as Float64Array;
      const b = scores[k] as Float64Array;
      for (let i = 0; i < a.length; i++) {
        const change = Math.abs((b[i] as number) - (a[i] as number));
        if (change > max) max = change;
      }
    }
  }
  const cairn = runtime.package.cairn;
  const what =
    cairn.task === 'regression'
      ? 'the prediction'
      : (cairn.classes?.length ?? 0) === 2
        ? `the probability of ${String(cairn.classes?.[1])}`
        : 'any class probability';
  return checkInvariance(rule, max, table.rows, what);
}
