import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { type CairnConfig, WORKSPACE_DIR } from '../../kernel/config.ts';
import { errors } from '../../kernel/errors.ts';
import { loadPipeline, PIPELINE_FILE } from '../../pipeline/definition/load-pipeline.ts';
import { parseParamOverride } from '../../pipeline/definition/params-files.ts';
import { openExecutor } from '../../pipeline/executors/open-executor.ts';
import type { RemoteLocation } from '../../pipeline/executors/temporal/stage-task.ts';
import type { Pipeline } from '../../pipeline/pipeline-types.ts';
import type { PlannedStage, RunEvent, RunSummary } from '../../pipeline/run/run-events.ts';
import { planPipeline, runPipeline } from '../../pipeline/run/run-pipeline.ts';
import { RunRecorder } from '../../pipeline/run/run-recorder.ts';
import { formatDuration, plural } from '../format.ts';
import { ReportedFailure } from '../reported-failure.ts';
import { createRunView } from '../run-view.ts';
import type { CliSession } from '../session.ts';

interface RunOpts {
  downstream?: boolean;
  force?: boolean;
  dryRun?: boolean;
  runCache?: boolean;
  jobs?: string;
  set: string[];
  experiment?: string;
  wait?: boolean;
  json?: boolean;
  executor?: string;
  queue?: string;
}

/** Where stage logs are kept, per run: `.cairn/tmp/logs/<run id>/<stage>.log`. */
export const STAGE_LOG_DIR = 'tmp/logs';

const TAIL_LINES = 10;

export function registerRun(program: Command, session: () => CliSession): void {
  program
    .command('run')
    .description(
      'run the pipeline in cairn.yaml: only the stages whose inputs changed, independent ones in parallel',
    )
    .argument('[stages...]', 'stages to bring up to date, with what they need upstream (default: all)')
    .option('--downstream', 'also run the stages that depend on the named ones')
    .option('-f, --force', 'run every selected stage even if nothing changed (the run cache is not used)')
    .option('--dry-run', 'print which stages would run and why; change nothing')
    .option('--no-run-cache', 'run changed stages instead of restoring their outputs from the run cache')
    .option(
      '-j, --jobs <n>',
      'stages to run at once (default: the number of cores; with a distributed executor, every stage that is ready)',
    )
    .option(
      '--executor <uri>',
      'where stages run: local, or temporal://host:7233[/namespace] for cairn worker processes (default: executor.uri, local)',
    )
    .option('--queue <name>', 'the task queue of stages that name none (default: executor.queue, "default")')
    .option('-s, --set <key=value>', 'override a param for this run (repeatable): train.lr=0.01', collect, [])
    .option('--experiment <name>', 'experiment to record the run in (default: the workspace directory name)')
    .option('--wait', 'wait for another command holding the workspace instead of failing')
    .option('--json', 'print plain progress on stderr and a JSON summary on stdout')
    .action(async (stages: string[], opts: RunOpts, command: Command) => {
      const s = session();
      const jobs = opts.jobs === undefined ? undefined : parseJobs(opts.jobs);
      const set = Object.fromEntries(opts.set.map(parseParamOverride));
      const { root, config } = await s.config();
      if (opts.dryRun) {
        const ws = await s.workspace();
        const pipeline = await requirePipeline(root, set);
        const plan = await planPipeline({
          ctx: ws.data,
          pipeline,
          targets: stages,
          downstream: opts.downstream ?? false,
          force: opts.force ?? false,
        });
        return opts.json ? s.json({ dry_run: true, stages: plan }) : printPlan(s, plan);
      }
      await s.lock('cairn run', opts.wait);
      const ws = await s.workspace();
      const pipeline = await requirePipeline(root, set);
      // Opened before anything starts: a distributed executor that cannot be reached fails here.
      const executor = await openExecutor({
        uri: opts.executor ?? config.executor.uri,
        setting: opts.executor !== undefined ? '--executor' : 'executor.uri',
        queue: opts.queue ?? config.executor.queue,
        heartbeatTimeoutMs: config.executor.heartbeat_timeout * 1000,
        attempts: config.executor.attempts,
        remote: defaultRemote(config),
        log: s.log,
        ...(s.io.env.CAIRN_TEMPORAL_API_KEY ? { apiKey: s.io.env.CAIRN_TEMPORAL_API_KEY } : {}),
      });
      const view = createRunView(s.io, { json: opts.json ?? false });
      const recorder = new RunRecorder(await ws.tracking(), {
        root,
        ...(opts.experiment ? { experiment: opts.experiment } : {}),
        command: commandLine(command),
        version: version(),
        onWarning: (message) => view.onEvent({ type: 'warning', message }),
      });
      const controller = new AbortController();
      const onSignal = (signal: NodeJS.Signals) => {
        if (controller.signal.aborted) return;
        view.note(`${signal}: stopping running stages…`);
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const failures: StageEvent[] = [];
      let summary: RunSummary;
      try {
        summary = await runPipeline({
          ctx: ws.data,
          pipeline,
          targets: stages,
          downstream: opts.downstream ?? false,
          force: opts.force ?? false,
          useRunCache: opts.runCache ?? true,
          ...(jobs !== undefined ? { jobs } : {}),
          executor,
          env: s.io.env,
          trackingUri: config.metadata.uri,
          logRoot: join(root, WORKSPACE_DIR, STAGE_LOG_DIR),
          overrides: set,
          recorder,
          signal: controller.signal,
          onEvent: (e) => {
            view.onEvent(e);
            if (e.type === 'stage' && e.state === 'failed') failures.push(e);
          },
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        view.finish();
        await executor.close?.();
      }
      report(s, summary, opts.json ?? false);
      for (const f of failures) showFailure(s, f);
      if (summary.status !== 'FINISHED') throw new ReportedFailure();
    });
}

type StageEvent = Extract<RunEvent, { type: 'stage' }>;

/** The failing stage's error, the last lines it wrote to stderr, and where its full log is. */
function showFailure(s: CliSession, f: StageEvent): void {
  const lines = [`error: stage ${f.stage} failed: ${f.error ?? 'unknown error'}`];
  for (const l of (f.tail ?? []).slice(-TAIL_LINES)) lines.push(`  ${f.stage} | ${l}`);
  if (f.logFile) lines.push(`  full log: ${relative(s.cwd, f.logFile) || f.logFile}`);
  s.io.stderr.write(`${lines.join('\n')}\n`);
}

function report(s: CliSession, summary: RunSummary, json: boolean): void {
  if (json) {
    s.json(summary);
    return;
  }
  const count = (status: string) => summary.stages.filter((st) => st.status === status).length;
  const parts = ['done', 'restored', 'skipped', 'failed', 'not-run', 'killed']
    .map((st) => [st, count(st)] as const)
    .filter(([, n]) => n > 0)
    .map(([st, n]) => `${n} ${st === 'not-run' ? 'not run' : st === 'killed' ? 'stopped' : st}`);
  const took = summary.stages.reduce((n, st) => Math.max(n, st.duration_ms), 0);
  s.out(
    `run ${summary.run_id} ${summary.status}: ${parts.join(', ') || 'no stages'}${took ? ` (longest stage ${formatDuration(took)})` : ''}`,
  );
}

async function requirePipeline(root: string, set: Record<string, unknown>): Promise<Pipeline> {
  const pipeline = await loadPipeline(root, { set });
  if (!pipeline)
    throw errors.notFound(`no ${PIPELINE_FILE} in ${root}`, {
      hint: `define stages in ${PIPELINE_FILE}; see docs/pipelines.md`,
    });
  return pipeline;
}

function printPlan(s: CliSession, plan: readonly PlannedStage[]): void {
  for (const p of plan) {
    if (!p.will_run) s.out(`${p.name}: up to date`);
    for (const r of p.reasons) s.out(`${p.name}: ${r}`);
  }
  const running = plan.filter((p) => p.will_run).length;
  s.out(`${running} of ${plural(plan.length, 'stage')} would run`);
}

function parseJobs(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw errors.invalid(`--jobs ${text}: expected a positive integer`, { hint: 'for example -j 4' });
  return n;
}

/** The workspace's default remote as workers will open it: its settings without credentials. */
function defaultRemote(
  config: Readonly<CairnConfig>,
): { name: string; location: RemoteLocation } | undefined {
  const names = Object.keys(config.remotes);
  const name = config.core.remote ?? (names.length === 1 ? names[0] : undefined);
  const remote = name === undefined ? undefined : config.remotes[name];
  if (name === undefined || !remote) return undefined;
  return {
    name,
    location: {
      url: remote.url,
      ...(remote.endpoint !== undefined ? { endpoint: remote.endpoint } : {}),
      ...(remote.region !== undefined ? { region: remote.region } : {}),
      ...(remote.path_style !== undefined ? { path_style: remote.path_style } : {}),
    },
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The command line as typed (commander keeps the raw arguments on the program). */
function commandLine(command: Command): string {
  const raw = (command.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs ?? process.argv.slice(2);
  return ['cairn', ...raw.map(quote)].join(' ');
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
