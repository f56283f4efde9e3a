/**
 * `npm run bench:distributed`: the 50-stage benchmark pipeline (bench/pipeline/pipeline-spec.ts)
 * run by the local executor and by the Temporal executor on 1 and on 2 `cairn worker` processes,
 * in one run. Prints a table and writes it to the "bench:distributed" section of
 * docs/benchmarks.md.
 *
 * Each measurement is a first full run in a fresh workspace with a fresh directory remote (so no
 * run cache answers), with the input tracked by `cairn add`:
 *  1. one stage at a time (`-j 1`; workers with `--concurrency 1`): the wall time minus the time
 *     the 50 commands themselves took (each logs its start and end), per stage, is what running a
 *     stage costs each executor besides its command;
 *  2. 16 stages at a time: local `-j 16`; 1 worker × 16; 2 workers × 8;
 *  3. a rerun with nothing changed (median of BENCH_NOCHANGE_RUNS).
 *
 * The Temporal service: CAIRN_TEST_TEMPORAL_ADDRESS, else scripts/services/temporal.sh starts one
 * (and it is stopped at the end). Workers run on this machine, in directories of their own; the
 * remote is a directory, so the numbers are Temporal's and Cairn's overhead, not a network's.
 *
 * Settings (env): BENCH_ROWS (20000), BENCH_NOCHANGE_RUNS (5), BENCH_WRITE_DOCS=0 to leave
 * docs/benchmarks.md alone.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { benchStages, inputCsv, PARAMS, pipelineYaml } from '../pipeline/pipeline-spec.ts';
import { BENCH_ENV, CAIRN_BIN, fmtMs, machine, median, replaceSection, timed } from '../support.ts';

const ROWS = Number(process.env.BENCH_ROWS ?? 20_000);
const NOCHANGE_RUNS = Number(process.env.BENCH_NOCHANGE_RUNS ?? 5);
const WIDE = 16;
const root = mkdtempSync(join(tmpdir(), 'cairn-bench-distributed-'));
const times = join(root, 'times.log');
const env = { ...BENCH_ENV, BENCH_TIMES: times, CAIRN_EXECUTOR_HEARTBEAT_TIMEOUT: '10' };
const STAGES = benchStages().length;

/** The service: the one the tests use, or one started (and stopped) here. */
function temporalAddress(): { address: string; stop(): void } {
  const given = process.env.CAIRN_TEST_TEMPORAL_ADDRESS;
  if (given) return { address: given, stop: () => undefined };
  const script = fileURLToPath(new URL('../../scripts/services/temporal.sh', import.meta.url));
  const r = spawnSync(script, [], { encoding: 'utf8' });
  const m = /CAIRN_TEST_TEMPORAL_ADDRESS=(\S+)/.exec(r.stdout);
  if (r.status !== 0 || !m) throw new Error(`could not start Temporal: ${r.stderr}`);
  const startedHere = !/already running/.test(r.stderr);
  return {
    address: m[1] as string,
    stop: () => {
      if (startedHere) spawnSync(script, ['stop']);
    },
  };
}

let workspaces = 0;
function workspace(): string {
  const n = ++workspaces;
  const dir = join(root, `ws${n}`);
  const remote = join(root, `remote${n}`);
  mkdirSync(join(dir, 'data'), { recursive: true });
  mkdirSync(remote);
  const run = (cmd: string, args: string[]) => timed(cmd, args, { cwd: dir, env });
  run('git', ['init', '-q']);
  writeFileSync(join(dir, 'data/input.csv'), inputCsv(ROWS));
  writeFileSync(join(dir, 'params.yaml'), stringify(PARAMS));
  writeFileSync(join(dir, 'cairn.yaml'), pipelineYaml(benchStages()));
  for (const args of [['init'], ['add', 'data/input.csv'], ['remote', 'add', 'shared', remote, '--default']])
    run(process.execPath, [CAIRN_BIN, ...args]);
  run('git', ['add', '-A']);
  run('git', ['commit', '-qm', 'pipeline']);
  return dir;
}

interface Measured {
  ms: number;
  /** The commands' own time, summed from the start and end each logs. */
  commands: number;
}

function cairnRun(dir: string, args: string[]): Measured {
  writeFileSync(times, '');
  const r = timed(process.execPath, [CAIRN_BIN, 'run', '--json', ...args], { cwd: dir, env });
  const summary = JSON.parse(r.stdout) as { status: string; stages: { status: string }[] };
  if (summary.status !== 'FINISHED') throw new Error(`cairn run ${args.join(' ')} ended ${summary.status}`);
  const spans = readFileSync(times, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '))
    .map(([, t0, t1]) => Number(BigInt(t1 as string) - BigInt(t0 as string)) / 1e6);
  if (summary.stages.some((s) => s.status !== 'done' && s.status !== 'skipped'))
    throw new Error(`cairn run ${args.join(' ')}: ${JSON.stringify(summary.stages)}`);
  return { ms: r.ms, commands: spans.reduce((a, b) => a + b, 0) };
}

/** Starts `cairn worker` processes, each in its own directory; resolves once all are ready. */
async function startWorkers(
  uri: string,
  queue: string,
  count: number,
  concurrency: number,
): Promise<ChildProcess[]> {
  const workers = Array.from({ length: count }, (_, i) => {
    const dir = join(root, `${queue}-worker${i}`);
    const child = spawn(
      process.execPath,
      [
        CAIRN_BIN,
        'worker',
        '--executor',
        uri,
        '--queue',
        queue,
        '--concurrency',
        String(concurrency),
        '--dir',
        dir,
      ],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    return child;
  });
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          let out = '';
          w.stdout?.on('data', (d: Buffer) => {
            out += d.toString();
            if (out.includes(' ready: ')) resolve();
          });
          w.on('exit', (code) => reject(new Error(`cairn worker exited ${code}: ${out}`)));
        }),
    ),
  );
  return workers;
}

async function stopWorkers(workers: ChildProcess[]): Promise<void> {
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          w.once('exit', () => resolve());
          w.kill('SIGTERM');
        }),
    ),
  );
}

const perStage = (m: Measured) => (m.ms - m.commands) / STAGES;

const temporal = temporalAddress();
try {
  const uri = `temporal://${temporal.address}`;
  const before = loadavg();
  const temporalArgs = (queue: string) => ['--executor', uri, '--queue', queue];

  process.stderr.write('local executor: one stage at a time, 16 at a time, nothing changed\n');
  const local1 = cairnRun(workspace(), ['-j', '1']);
  const localDir = workspace();
  const localWide = cairnRun(localDir, ['-j', String(WIDE)]);
  const localNoChange = median(Array.from({ length: NOCHANGE_RUNS }, () => cairnRun(localDir, []).ms));

  process.stderr.write('Temporal, 1 worker: one stage at a time\n');
  let workers = await startWorkers(uri, 'bench-one', 1, 1);
  const temporal1 = cairnRun(workspace(), ['-j', '1', ...temporalArgs('bench-one')]);
  await stopWorkers(workers);

  process.stderr.write(`Temporal, 1 worker × ${WIDE}: a full run, nothing changed\n`);
  workers = await startWorkers(uri, 'bench-wide1', 1, WIDE);
  const temporalDir = workspace();
  const temporalWide1 = cairnRun(temporalDir, temporalArgs('bench-wide1'));
  const temporalNoChange = median(
    Array.from({ length: NOCHANGE_RUNS }, () => cairnRun(temporalDir, temporalArgs('bench-wide1')).ms),
  );
  await stopWorkers(workers);

  process.stderr.write(`Temporal, 2 workers × ${WIDE / 2}: a full run\n`);
  workers = await startWorkers(uri, 'bench-wide2', 2, WIDE / 2);
  const temporalWide2 = cairnRun(workspace(), temporalArgs('bench-wide2'));
  await stopWorkers(workers);
  const after = loadavg();

  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');
  const full = (m: Measured) => `${fmtMs(m.ms)} (commands ${fmtMs(m.commands)})`;
  const body = [
    `Run on ${new Date().toISOString().slice(0, 10)}: ${machine()}; Temporal CLI dev server (v1.5.1, SQLite); workers and remote (a directory) on the same machine; ${ROWS.toLocaleString('en-US')} input rows; load average ${load(before)} before, ${load(after)} after.`,
    '',
    '| work | local executor | Temporal, 1 worker | Temporal, 2 workers | notes |',
    '| --- | --- | --- | --- | --- |',
    `| first full run, ${STAGES} stages, one at a time | ${full(local1)} | ${full(temporal1)} | — | \`-j 1\`; the worker runs 1 stage at a time |`,
    `| **cost per stage besides its command** | **${fmtMs(perStage(local1))}** | **${fmtMs(perStage(temporal1))}** | — | (wall time − the commands' own time) / ${STAGES} stages, from the run above |`,
    `| first full run, ${WIDE} stages at a time | ${full(localWide)} | ${full(temporalWide1)} | ${full(temporalWide2)} | local \`-j ${WIDE}\`; 1 worker × ${WIDE}; 2 workers × ${WIDE / 2} |`,
    `| nothing changed | ${fmtMs(localNoChange)} | ${fmtMs(temporalNoChange)} | — | median of ${NOCHANGE_RUNS}; with Temporal: connect, check every stage here, start no workflow |`,
  ].join('\n');
  process.stdout.write(`${body}\n`);
  if (process.env.BENCH_WRITE_DOCS !== '0')
    replaceSection(
      fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url)),
      'bench:distributed',
      body,
    );
} finally {
  temporal.stop();
  rmSync(root, { recursive: true, force: true });
}
