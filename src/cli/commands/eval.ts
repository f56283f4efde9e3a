import { resolve } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../kernel/atomic-file.ts';
import type { Evaluation } from '../../ml/evaluation/evaluate.ts';
import type { MetricSet } from '../../ml/metrics/metric-set.ts';
import { parseSliceSpec } from '../../ml/metrics/slices.ts';
import { parseThreshold } from '../../ml/metrics/threshold.ts';
import { formatMetric } from '../../ml/report/html-text.ts';
import { table } from '../format.ts';
import { withModelSource } from '../model-source.ts';
import { actorName, type TargetOpts } from '../registry-target.ts';
import type { CliSession } from '../session.ts';

interface EvalOpts extends TargetOpts {
  data: string;
  target: string;
  slice: string[];
  threshold?: string;
  na: string[];
  report?: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `cairn eval`: a model's metrics on a data file, per slice, with an HTML report. */
export function registerEval(program: Command, session: () => CliSession): void {
  program
    .command('eval')
    .description('evaluate a model on a data file: metrics (equal to scikit-learn’s), slices, an HTML report')
    .argument('<model>', 'a model package directory, models:/<name>/<version> or models:/<name>@<alias>')
    .requiredOption('--data <file>', 'CSV, TSV or Parquet file with the target column')
    .requiredOption('--target <column>', 'the label column')
    .option(
      '--slice <column[:bins]>',
      'metrics per value of a column, or per quantile bin of a numeric one (repeatable)',
      collect,
      [],
    )
    .option('--threshold <t|optimize:f1>', 'binary classifiers: the decision threshold (default 0.5)')
    .option('--na <text>', 'text that marks a missing value in CSV files (repeatable), e.g. ?', collect, [])
    .option('--report <file.html>', 'write the evaluation as one self-contained HTML file')
    .option(
      '--tracking-uri <uri>',
      'registry of models:/ references (default: CAIRN_TRACKING_URI, MLFLOW_TRACKING_URI, then the workspace)',
    )
    .option(
      '--token <token>',
      'bearer token for a server (default: CAIRN_TRACKING_TOKEN, MLFLOW_TRACKING_TOKEN)',
    )
    .option('--json', 'print the whole evaluation as JSON')
    .action(async (model: string, opts: EvalOpts) => runEval(session(), model, opts));
}

async function runEval(s: CliSession, model: string, opts: EvalOpts): Promise<void> {
  // Usage errors first: nothing is read, run, written or recorded before the flags are good.
  const threshold = opts.threshold === undefined ? undefined : parseThreshold(opts.threshold);
  const slices = opts.slice.map((text) => parseSliceSpec(text));
  const data = resolve(s.cwd, opts.data);
  const [{ readTable }, { sha256File }, { OnnxRuntime }, { evaluateModel }] = await Promise.all([
    import('../../ml/table/read-table.ts'),
    import('../../kernel/hashing.ts'),
    import('../../ml/runtime/onnx-runtime.ts'),
    import('../../ml/evaluation/evaluate-model.ts'),
  ]);
  await withModelSource(s, model, opts, async (source) => {
    const { table: rows } = await readTable(data, { naValues: opts.na });
    const digest = await sha256File(data);
    const runtime = await OnnxRuntime.open(source.dir);
    let evaluation: Evaluation;
    try {
      evaluation = await evaluateModel(runtime, rows, {
        target: opts.target,
        data: opts.data,
        ...(threshold ? { threshold } : {}),
        slices,
      });
    } finally {
      await runtime.close();
    }
    const dataInfo = { path: opts.data, digest, rows: rows.rows };
    if (opts.report) {
      const [{ renderEvalReport }, { chartLibrarySource }] = await Promise.all([
        import('../../ml/report/eval-report.ts'),
        import('../../tracking/plots/chart-library.ts'),
      ]);
      const html = renderEvalReport(
        evaluation,
        { model, data: opts.data, generatedAt: new Date() },
        await chartLibrarySource(),
      );
      await writeFileAtomic(resolve(s.cwd, opts.report), html);
    }
    const logged = await logToActiveRun(s, evaluation, opts.report ? resolve(s.cwd, opts.report) : undefined);
    let recorded: string | undefined;
    if (source.version && source.opened) {
      const check = await source.opened.promotion.recordCheck(
        source.version.name,
        source.version.version,
        { kind: 'evaluation', result: evaluationRecord(evaluation, dataInfo) },
        actorName(),
      );
      recorded = `${source.version.name}/${source.version.version} (result ${check.id})`;
    }
    if (opts.json)
      return s.json({
        model,
        data: dataInfo,
        ...evaluation,
        ...(logged ? { run_id: logged } : {}),
        ...(recorded ? { recorded_on: recorded } : {}),
      });
    printEvaluation(s, model, dataInfo, evaluation);
    if (opts.report) s.out(`report   ${opts.report}`);
    if (logged) s.out(`logged   to run ${logged}`);
    if (recorded) s.out(`recorded on ${recorded}`);
  });
}

/** What is recorded on a model version: everything but the curves. */
function evaluationRecord(
  e: Evaluation,
  data: { path: string; digest: string; rows: number },
): Record<string, unknown> {
  const { curves: _curves, ...rest } = e;
  return { data, ...rest };
}

/**
 * Inside a tracked run (a `cairn run` stage, or CAIRN_RUN_ID / MLFLOW_RUN_ID set), logs the
 * metrics as `eval_<name>` and the report as an artifact; returns the run id.
 */
async function logToActiveRun(
  s: CliSession,
  e: Evaluation,
  report: string | undefined,
): Promise<string | undefined> {
  const env = s.io.env;
  if (!(env.CAIRN_RUN_ID || env.MLFLOW_RUN_ID)) return undefined;
  const { Tracking } = await import('../../sdk/tracking.ts');
  const tracking = await Tracking.fromEnv({ env, cwd: s.cwd });
  try {
    const run = tracking.activeRun();
    if (!run) return undefined;
    tracking.logMetrics(
      Object.fromEntries(Object.entries(e.metrics.values).map(([k, v]) => [`eval_${k}`, v])),
    );
    if (report) await tracking.logArtifact(report, 'eval');
    await tracking.flush();
    return run.run_id;
  } finally {
    await tracking.close();
  }
}

function metricRows(set: MetricSet): string[][] {
  return [
    ...Object.entries(set.values).map(([k, v]) => [k, formatMetric(v)]),
    ...Object.entries(set.undefined).map(([k, why]) => [k, `undefined (${why})`]),
  ];
}

function printEvaluation(
  s: CliSession,
  model: string,
  data: { path: string; rows: number },
  e: Evaluation,
): void {
  const head = [`${model} on ${data.path}: ${data.rows} rows, ${e.task}, target ${e.target}`];
  if (e.threshold)
    head.push(
      `threshold ${formatMetric(e.threshold.value)}${e.threshold.spec !== String(e.threshold.value) ? ` (${e.threshold.spec})` : ''}, positive class ${e.positive_class}`,
    );
  s.out(head.join('\n'));
  s.out(table(metricRows(e.metrics).map(([k, v]) => [`  ${k}`, v as string])));
  if (e.confusion_matrix) {
    const { labels, matrix } = e.confusion_matrix;
    s.out('confusion matrix (rows actual, columns predicted)');
    s.out(table([['  ', ...labels], ...matrix.map((row, i) => [`  ${labels[i]}`, ...row.map(String)])]));
  }
  for (const slice of e.slices) {
    const names = [
      ...new Set(
        slice.groups.flatMap((g) => [...Object.keys(g.metrics.values), ...Object.keys(g.metrics.undefined)]),
      ),
    ];
    s.out(`slices by ${slice.column}${slice.bins ? ` (${slice.bins} bins)` : ''}`);
    s.out(
      table([
        ['  group', 'rows', ...names],
        ...slice.groups.map((g) => [
          `  ${g.label}`,
          String(g.rows),
          ...names.map((n) =>
            g.metrics.values[n] !== undefined ? formatMetric(g.metrics.values[n] as number) : 'undefined',
          ),
        ]),
      ]),
    );
  }
}
