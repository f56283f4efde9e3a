import { mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../kernel/atomic-file.ts';
import { WORKSPACE_DIR } from '../../kernel/config.ts';
import { loadPipeline, PIPELINE_FILE } from '../../pipeline/definition/load-pipeline.ts';
import { diffParams } from '../../pipeline/inspect/params-diff.ts';
import { readStageMetrics } from '../../pipeline/inspect/stage-metrics.ts';
import { readStagePlots } from '../../pipeline/inspect/stage-plots.ts';
import { readLockFile } from '../../pipeline/lock/lock-file.ts';
import { showValue } from '../../pipeline/run/param-values.ts';
import { chartLibrarySource } from '../../tracking/plots/chart-library.ts';
import { collectFilePlots, collectRunPlots } from '../../tracking/plots/collect-plots.ts';
import { renderPlotReport } from '../../tracking/plots/plot-report.ts';
import type { Run } from '../../tracking/tracking-types.ts';
import { experimentsIn, findRun, latestRuns } from '../../tracking/views/run-lookup.ts';
import { plural, table } from '../format.ts';
import type { CliSession } from '../session.ts';
import { formatNumber } from './exp-print.ts';
import { type TrackingOpts, withTracking, withTrackingOptions } from './tracking-options.ts';

/** Where `cairn plots show` writes unless told (git-ignored with the rest of `.cairn/tmp`). */
export const DEFAULT_REPORT = `${WORKSPACE_DIR}/tmp/plots.html`;

interface PlotsOpts extends TrackingOpts {
  out?: string;
  run?: string[];
  experiment?: string;
  json?: boolean;
}

export function registerMetricsParamsPlots(program: Command, session: () => CliSession): void {
  program
    .command('metrics')
    .description("read the pipeline's metrics files")
    .command('show')
    .description("the numbers in every stage's metrics files as they are now, nested keys joined with dots")
    .option('--json', 'print the metrics as JSON')
    .action(async (opts: { json?: boolean }) => {
      const s = session();
      const pipeline = await pipelineOf(s);
      if (!pipeline) return;
      const files = await readStageMetrics(pipeline.root, pipeline.pipeline);
      if (opts.json) return s.json({ files });
      if (files.length === 0) return s.out(`No stage in ${PIPELINE_FILE} declares metrics files.`);
      const rows = [['path', 'key', 'value']];
      for (const f of files) {
        if (f.error) rows.push([f.path, '', f.error]);
        else if (Object.keys(f.metrics ?? {}).length === 0) rows.push([f.path, '', '(no numbers)']);
        else for (const [k, v] of Object.entries(f.metrics ?? {})) rows.push([f.path, k, formatNumber(v)]);
      }
      s.out(table(rows));
    });

  program
    .command('params')
    .description("compare the pipeline's params with cairn.lock")
    .command('diff')
    .description(
      'params whose value in the params files differs from the value cairn.lock recorded for a stage',
    )
    .option('--all', 'also list params that did not change')
    .option('--json', 'print the differences as JSON')
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      const s = session();
      const pipeline = await pipelineOf(s);
      if (!pipeline) return;
      const diff = diffParams(pipeline.pipeline, await readLockFile(pipeline.root), {
        all: opts.all ?? false,
      });
      if (opts.json) return s.json(diff);
      const show = (v: unknown) => (v === undefined ? '-' : showValue(v));
      if (diff.params.length > 0)
        s.out(
          table([
            ['file', 'param', 'old', 'new', 'stages'],
            ...diff.params.map((p) => [p.file, p.key, show(p.old), show(p.new), p.stages.join(', ')]),
          ]),
        );
      else s.out('Params match cairn.lock.');
      if (diff.never_run.length > 0) s.out(`not run yet (nothing to compare): ${diff.never_run.join(', ')}`);
    });

  withTrackingOptions(
    program
      .command('plots')
      .description('plot metric histories and the pipeline plots files')
      .command('show')
      .description(
        'write one self-contained HTML report (opens offline): metric histories of runs and the plots files',
      )
      .option('-o, --out <file>', `where to write the report (default: ${DEFAULT_REPORT})`)
      .option(
        '--run <runs...>',
        'runs whose metric histories to plot: ids, prefixes or names (default: the latest run)',
      )
      .option('--experiment <name>', 'look for runs in this experiment only')
      .option('--json', 'print what was written as JSON'),
  ).action(async (opts: PlotsOpts) => {
    const s = session();
    const fromRuns = await withTracking(s, opts, async (store) => {
      const experiments = await experimentsIn(store, opts.experiment);
      const ids = experiments.map((e) => e.experiment_id);
      const runs: Run[] = [];
      if (opts.run && opts.run.length > 0)
        for (const ref of opts.run) runs.push(await findRun(store, ref, ids));
      else runs.push(...(await latestRuns(store, ids, 1)));
      return collectRunPlots(store, runs, new Map(experiments.map((e) => [e.experiment_id, e.name])));
    });
    const pipeline = await pipelineOf(s, { quiet: true });
    const files = pipeline ? collectFilePlots(await readStagePlots(pipeline.root, pipeline.pipeline)) : [];
    const html = renderPlotReport(
      {
        title: 'Cairn plots',
        generatedAt: new Date(),
        ...(pipeline ? { workspace: pipeline.root } : {}),
        ...fromRuns,
        files,
      },
      await chartLibrarySource(),
    );
    const out = opts.out
      ? isAbsolute(opts.out)
        ? opts.out
        : resolve(s.cwd, opts.out)
      : await defaultReportPath(s);
    await mkdir(dirname(out), { recursive: true });
    await writeFileAtomic(out, html);
    const plotCount = files.reduce((n, f) => n + f.plots.filter((p) => p.kind !== 'problem').length, 0);
    const summary = {
      out,
      runs: fromRuns.runs.map((r) => r.run_id),
      metric_charts: fromRuns.metricCharts.length,
      plots_files: files.map((f) => ({ stage: f.stage, path: f.path, plots: f.plots.map((p) => p.kind) })),
    };
    if (opts.json) return s.json(summary);
    s.out(
      `wrote ${relative(s.cwd, out) || out}: ${plural(fromRuns.metricCharts.length, 'metric chart')} from ${plural(fromRuns.runs.length, 'run')}, ${plural(plotCount, 'plot')} from ${plural(files.length, 'plots file')}`,
    );
    for (const f of files)
      for (const p of f.plots) if (p.kind === 'problem') s.warn(`${f.path}: ${p.message}`);
    s.out(`open ${pathToFileURL(out).href}`);
  });
}

/** `.cairn/tmp/plots.html` in the workspace; `cairn-plots.html` here outside one. */
async function defaultReportPath(s: CliSession): Promise<string> {
  try {
    return join((await s.config()).root, DEFAULT_REPORT);
  } catch {
    return resolve(s.cwd, 'cairn-plots.html');
  }
}

/** The workspace's pipeline, or undefined (after saying so, unless quiet) when it has no cairn.yaml. */
async function pipelineOf(
  s: CliSession,
  options: { quiet?: boolean } = {},
): Promise<{ root: string; pipeline: NonNullable<Awaited<ReturnType<typeof loadPipeline>>> } | undefined> {
  let root: string;
  try {
    root = (await s.config()).root;
  } catch (err) {
    if (options.quiet) return undefined;
    throw err;
  }
  const pipeline = await loadPipeline(root);
  if (!pipeline) {
    if (!options.quiet)
      s.out(
        `No ${PIPELINE_FILE} in ${root}: no pipeline stages to read (docs/pipelines.md shows how to define them).`,
      );
    return undefined;
  }
  return { root, pipeline };
}
