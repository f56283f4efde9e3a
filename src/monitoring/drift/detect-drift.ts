/**
 * Drift of a current window against a reference, per column and for the data set, with
 * Evidently's DataDriftPreset defaults: the test per column chosen by `defaultMethod`, each
 * test's default threshold, and data-set drift when at least half of the columns drift.
 */
import { errors } from '../../kernel/errors.ts';
import type { ColumnKind } from '../columns.ts';
import type { ColumnSummary, NumericSummary } from './column-summary.ts';
import { type DriftMethodName, driftMethod, isDriftMethodName, type ScoreKind } from './drift-methods.ts';
import { type ColumnChoice, defaultMethod, resolveChoice } from './select-method.ts';
import type { TableSummary } from './table-summary.ts';

export interface DriftOptions {
  /** The test for every column, unless a per-kind or per-column setting names another. */
  method?: DriftMethodName;
  numericMethod?: DriftMethodName;
  categoricalMethod?: DriftMethodName;
  /** The threshold for every column, unless a per-kind or per-column setting gives another. */
  threshold?: number;
  numericThreshold?: number;
  categoricalThreshold?: number;
  /** Settings for named columns; they win over everything else. */
  perColumn?: Record<string, ColumnChoice>;
  /** The data set drifts when at least this share of the tested columns drifts (default 0.5). */
  driftShare?: number;
  /** The model's output column: tested like the others, reported as `prediction`, not counted in the share. */
  predictionColumn?: string;
  /** Test only these reference columns (default: all of them). */
  include?: readonly string[];
}

export interface DataQuality {
  /** Share of reference rows without a value (null, NaN or ±∞). */
  referenceMissingRate: number;
  /** Share of current rows without a value. */
  currentMissingRate: number;
  /** Categories: share of current values whose category the reference never had. */
  newCategoryRate?: number;
  /** Numbers: share of current finite values outside [reference min, reference max]. */
  outOfRangeRate?: number;
}

export interface ColumnDrift {
  column: string;
  kind: ColumnKind;
  method: DriftMethodName;
  scoreKind: ScoreKind;
  /** The p-value or the distance; NaN when the test could not run (see `skipped`). */
  score: number;
  /** The statistic behind a p-value (KS D, chi-square, z). */
  statistic?: number;
  threshold: number;
  drifted: boolean;
  /** False when a compressed reference sample made the score an approximation. */
  exact: boolean;
  /** Why no test ran: a side had no values. Skipped columns are not counted in the data-set share. */
  skipped?: string;
  quality: DataQuality;
}

export interface DriftReport {
  columns: ColumnDrift[];
  /** Drift of the model's output, when `predictionColumn` was given. */
  prediction?: ColumnDrift;
  /** Columns tested (not skipped), the prediction excluded. */
  testedColumns: number;
  driftedColumns: number;
  /** driftedColumns / testedColumns (0 when nothing was tested). */
  share: number;
  /** The configured share at which the data set counts as drifted. */
  driftShare: number;
  datasetDrift: boolean;
}

function qualityOf(reference: ColumnSummary, current: ColumnSummary): DataQuality {
  const quality: DataQuality = {
    referenceMissingRate: reference.rows === 0 ? 0 : reference.missing / reference.rows,
    currentMissingRate: current.rows === 0 ? 0 : current.missing / current.rows,
  };
  if (reference.kind === 'categorical' && current.kind === 'categorical') {
    const known = new Set(reference.categories);
    let unseen = 0;
    current.categories.forEach((c, i) => {
      if (!known.has(c)) unseen += current.counts[i] as number;
    });
    quality.newCategoryRate = current.count === 0 ? 0 : unseen / current.count;
  } else if (reference.kind === 'numeric' && current.kind === 'numeric') {
    quality.outOfRangeRate = outOfRange(reference, current);
  }
  return quality;
}

function outOfRange(reference: NumericSummary, current: NumericSummary): number {
  if (current.count === 0) return 0;
  if (reference.count === 0) return 1;
  let outside = 0;
  const { values, counts } = current.sample;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v < reference.min || v > reference.max) outside += counts[i] as number;
  }
  return outside / current.count;
}

/** Tests one column. `choice` overrides the method and threshold (see `resolveChoice`). */
export function compareColumn(
  reference: ColumnSummary,
  current: ColumnSummary,
  choice: ColumnChoice = {},
): ColumnDrift {
  if (reference.kind !== current.kind)
    throw errors.invalid(
      `column ${reference.name} is ${reference.kind} in the reference but ${current.kind} in the current data`,
      { hint: 'read both with the same column kinds', details: { column: reference.name } },
    );
  const quality = qualityOf(reference, current);
  const empty =
    reference.count === 0
      ? 'the reference has no values'
      : current.count === 0
        ? 'the current data has no values'
        : undefined;
  const name =
    choice.method ??
    (empty
      ? reference.kind === 'numeric'
        ? 'wasserstein'
        : 'jensenshannon'
      : defaultMethod(reference, current));
  const method = driftMethod(name);
  if (choice.method && !method.kinds.includes(reference.kind))
    throw errors.invalid(`drift test ${name} does not apply to ${reference.kind} column ${reference.name}`, {
      hint: `use one of the tests for ${reference.kind} columns`,
      details: { column: reference.name, method: name },
    });
  const threshold = choice.threshold ?? method.defaultThreshold;
  const base = {
    column: reference.name,
    kind: reference.kind,
    method: name,
    scoreKind: method.scoreKind,
    threshold,
    quality,
  };
  if (empty) return { ...base, score: Number.NaN, drifted: false, exact: true, skipped: empty };
  const result = method.compute(reference, current);
  return {
    ...base,
    score: result.score,
    ...(result.statistic !== undefined ? { statistic: result.statistic } : {}),
    drifted: method.drifted(result.score, threshold),
    exact: result.exact,
  };
}

/** Checks options once, before any column is tested, naming the setting that is wrong. */
export function validateDriftOptions(options: DriftOptions): void {
  const methods: [string, string | undefined][] = [
    ['method', options.method],
    ['numericMethod', options.numericMethod],
    ['categoricalMethod', options.categoricalMethod],
    ...Object.entries(options.perColumn ?? {}).map(([c, v]): [string, string | undefined] => [
      `perColumn.${c}.method`,
      v.method,
    ]),
  ];
  for (const [where, m] of methods)
    if (m !== undefined && !isDriftMethodName(m))
      throw errors.invalid(`${where}: unknown drift test ${JSON.stringify(m)}`, {
        hint: 'use one of ks, chisquare, z, wasserstein, jensenshannon, psi, kl_div, hellinger',
      });
  const thresholds: [string, number | undefined][] = [
    ['threshold', options.threshold],
    ['numericThreshold', options.numericThreshold],
    ['categoricalThreshold', options.categoricalThreshold],
    ['driftShare', options.driftShare],
    ...Object.entries(options.perColumn ?? {}).map(([c, v]): [string, number | undefined] => [
      `perColumn.${c}.threshold`,
      v.threshold,
    ]),
  ];
  for (const [where, t] of thresholds)
    if (t !== undefined && !(Number.isFinite(t) && t >= 0))
      throw errors.invalid(`${where} must be a non-negative number, got ${t}`);
}

/** The columns to test and the choice for each, checked against both summaries. */
export function planDrift(
  reference: TableSummary,
  current: TableSummary,
  options: DriftOptions,
): { reference: ColumnSummary; current: ColumnSummary; choice: ColumnChoice }[] {
  validateDriftOptions(options);
  const byName = new Map(current.columns.map((c) => [c.name, c]));
  const names = options.include ?? reference.columns.map((c) => c.name);
  const refByName = new Map(reference.columns.map((c) => [c.name, c]));
  const wanted = new Set(names);
  if (options.predictionColumn !== undefined) wanted.add(options.predictionColumn);
  return [...wanted].map((name) => {
    const ref = refByName.get(name);
    if (!ref)
      throw errors.invalid(`column ${name} is not in the reference`, {
        hint: `the reference has ${reference.columns.map((c) => c.name).join(', ')}`,
        details: { column: name },
      });
    const cur = byName.get(name);
    if (!cur)
      throw errors.invalid(`column ${name} of the reference is missing from the current data`, {
        hint: 'send the same features the model was trained on, or leave the column out with `include`',
        details: { column: name },
      });
    return { reference: ref, current: cur, choice: resolveChoice(name, ref.kind, options) };
  });
}

/** Puts per-column results together into the data-set verdict. */
export function assembleReport(results: ColumnDrift[], options: DriftOptions): DriftReport {
  const driftShare = options.driftShare ?? 0.5;
  const prediction = results.find((r) => r.column === options.predictionColumn);
  const columns = results.filter((r) => r !== prediction);
  const tested = columns.filter((c) => c.skipped === undefined);
  const drifted = tested.filter((c) => c.drifted).length;
  const share = tested.length === 0 ? 0 : drifted / tested.length;
  return {
    columns,
    ...(prediction ? { prediction } : {}),
    testedColumns: tested.length,
    driftedColumns: drifted,
    share,
    driftShare,
    datasetDrift: tested.length > 0 && share >= driftShare,
  };
}

/**
 * Drift of `current` against `reference`, computed on this thread. `MonitoringPool.detectDrift`
 * gives the same report with columns spread over worker threads.
 *
 * @example
 * const reference = summarizeTable(await readColumns('train.parquet'));
 * const report = detectDrift(reference, summarizeTable(window, { maxSamplePoints: Infinity }));
 * if (report.datasetDrift) alert(report.columns.filter((c) => c.drifted));
 */
export function detectDrift(
  reference: TableSummary,
  current: TableSummary,
  options: DriftOptions = {},
): DriftReport {
  const plan = planDrift(reference, current, options);
  return assembleReport(
    plan.map((p) => compareColumn(p.reference, p.current, p.choice)),
    options,
  );
}
