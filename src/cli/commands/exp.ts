import type { Command } from 'commander';
import { errors } from '../../kernel/errors.ts';
import type { TrackingStore } from '../../tracking/tracking-store.ts';
import type { Experiment, Run } from '../../tracking/tracking-types.ts';
import { runDetails } from '../../tracking/views/run-details.ts';
import { diffRuns } from '../../tracking/views/run-diff.ts';
import { experimentsIn, findRun, latestRuns, searchAllRuns } from '../../tracking/views/run-lookup.ts';
import { chooseColumns, orderByClause, summarizeRun } from '../../tracking/views/run-summary.ts';
import type { CliSession } from '../session.ts';
import { printDetails, printDiff, printRunList } from './exp-print.ts';
import { type TrackingOpts, withTracking, withTrackingOptions } from './tracking-options.ts';

interface ListOpts extends TrackingOpts {
  json?: boolean;
  experiment?: string;
  filter?: string;
  sort?: string;
  limit: string;
  all?: boolean;
}

interface ShowOpts extends TrackingOpts {
  json?: boolean;
  experiment?: string;
  all?: boolean;
}

const DEFAULT_LIMIT = 20;

export function registerExp(program: Command, session: () => CliSession): void {
  const exp = program.command('exp').description('list, show and compare tracked runs (experiments)');

  withTrackingOptions(
    exp
      .command('list')
      .description(
        'list runs, newest first: id, name, status, start, duration and the most telling metrics and params',
      )
      .option('--experiment <name>', 'only runs of this experiment (default: every experiment)')
      .option('--filter <expr>', 'MLflow filter, e.g. "metrics.auc > 0.9 and params.model = \'gbdt\'"')
      .option('--sort <key>', 'order by a key: metrics.auc (ascending), -metrics.auc or "metrics.auc desc"')
      .option('--limit <n>', 'show at most n runs', String(DEFAULT_LIMIT))
      .option('--all', 'show every metric and param column')
      .option('--json', 'print the runs as JSON'),
  ).action(async (opts: ListOpts) => {
    const s = session();
    const limit = parseLimit(opts.limit);
    await withTracking(s, opts, async (store) => {
      const experiments = await experimentsIn(store, opts.experiment);
      // Stores break ties newest first (MLflow's rule), so a sort key needs nothing after it.
      const orderBy = [opts.sort ? orderByClause(opts.sort) : 'attributes.start_time DESC'];
      const { runs, more } = await searchAllRuns(
        store,
        {
          experiment_ids: experiments.map((e) => e.experiment_id),
          ...(opts.filter ? { filter: opts.filter } : {}),
          order_by: orderBy,
        },
        limit,
      );
      const names = experimentNames(experiments);
      const summaries = runs.map((r) => summarizeRun(r, names.get(r.info.experiment_id)));
      if (opts.json) return s.json({ runs: summaries, more });
      const columns = chooseColumns(summaries, { filter: opts.filter, orderBy, all: opts.all });
      printRunList(s, summaries, columns, more, limit);
    });
  });

  withTrackingOptions(
    exp
      .command('show')
      .description('one run: params, metrics with their step counts, stages, inputs, outputs and tags')
      .argument('<run>', 'run id, a unique prefix of one, or a run name')
      .option('--experiment <name>', 'look for the run in this experiment only')
      .option('--all', 'also list the tags MLflow and Cairn record on every run (mlflow.*, cairn.*)')
      .option('--json', 'print the run as JSON'),
  ).action(async (ref: string, opts: ShowOpts) => {
    const s = session();
    await withTracking(s, opts, async (store) => {
      const experiments = await experimentsIn(store, opts.experiment);
      const run = await findRun(
        store,
        ref,
        experiments.map((e) => e.experiment_id),
      );
      const name = await experimentName(store, experiments, run);
      const details = await runDetails(store, run, name);
      if (opts.json) return s.json(details);
      printDetails(s, details, opts.all ?? false);
    });
  });

  withTrackingOptions(
    exp
      .command('diff')
      .description('compare two runs: params (changed, added, removed) and metrics with deltas')
      .argument('[runA]', 'the run to compare from (default: the run before the latest)')
      .argument('[runB]', 'the run to compare to (default: the latest run)')
      .option('--experiment <name>', 'look for the runs in this experiment only')
      .option('--all', 'also list params that are the same in both runs')
      .option('--json', 'print the comparison as JSON'),
  ).action(async (refA: string | undefined, refB: string | undefined, opts: ShowOpts) => {
    const s = session();
    if (refA !== undefined && refB === undefined)
      throw errors.invalid('exp diff takes two runs, or none (the latest two)', {
        hint: 'cairn exp diff <runA> <runB>',
      });
    await withTracking(s, opts, async (store) => {
      const ids = (await experimentsIn(store, opts.experiment)).map((e) => e.experiment_id);
      let a: Run;
      let b: Run;
      if (refA !== undefined && refB !== undefined) {
        a = await findRun(store, refA, ids);
        b = await findRun(store, refB, ids);
      } else {
        const latest = await latestRuns(store, ids, 2);
        if (latest.length < 2)
          throw errors.precondition(`exp diff needs two runs; found ${latest.length}`, {
            hint: 'record runs with `cairn run` (e.g. with different --set values) or the SDK',
          });
        [b, a] = latest as [Run, Run];
      }
      const diff = diffRuns(a, b);
      if (opts.json) return s.json(diff);
      printDiff(s, diff, opts.all ?? false);
    });
  });
}

function parseLimit(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw errors.invalid(`--limit ${text}: expected a positive integer`, { hint: 'for example --limit 50' });
  return n;
}

function experimentNames(experiments: readonly Experiment[]): Map<string, string> {
  return new Map(experiments.map((e) => [e.experiment_id, e.name]));
}

async function experimentName(
  store: TrackingStore,
  experiments: readonly Experiment[],
  run: Run,
): Promise<string | undefined> {
  const known = experimentNames(experiments).get(run.info.experiment_id);
  if (known !== undefined) return known;
  return (await store.getExperiment(run.info.experiment_id).catch(() => undefined))?.name;
}
