/**
 * `npm run bench:pipeline`: `cairn run` against `dvc repro` on the same 50-stage pipeline
 * (bench/pipeline/pipeline-spec.ts: fan-out to 16 branches and fan-in back to one report), in
 * one run. Prints a table and writes it to the "bench:pipeline" section of docs/benchmarks.md.
 *
 * For each tool, in a fresh git repository with the input tracked (`cairn add` / `dvc add`):
 *  1. the first full run (Cairn with its default -j, the number of cores; DVC one stage at a time);
 *  2. runs with nothing changed (median of BENCH_NOCHANGE_RUNS);
 *  3. one param changed, read by 4 of the 16 train stages (median of BENCH_PARAM_RUNS, each
 *     with a value not used before, so neither tool's run cache answers);
 *  4. the fan-out: wall time of the 16 feature stages against the sum of their durations and
 *     the longest one, from the start and end times each command logs; for Cairn also with
 *     `-j 16` (a forced full run), where the wall time should come close to the longest branch.
 *
 * Settings (env): BENCH_ROWS (20000), BENCH_NOCHANGE_RUNS (5), BENCH_PARAM_RUNS (3),
 * BENCH_DVC (path to dvc; default: the project's .venv or next to $CAIRN_TEST_PYTHON),
 * BENCH_WRITE_DOCS=0 to leave docs/benchmarks.md alone.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { BENCH_ENV, CAIRN_BIN, findDvc, fmtMs, machine, median, replaceSection, timed } from '../support.ts';
import { benchStages, FEATURES, inputCsv, PARAMS, pipelineYaml } from './pipeline-spec.ts';

const ROWS = Number(process.env.BENCH_ROWS ?? 20_000);
const NOCHANGE_RUNS = Number(process.env.BENCH_NOCHANGE_RUNS ?? 5);
const PARAM_RUNS = Number(process.env.BENCH_PARAM_RUNS ?? 3);
const root = mkdtempSync(join(tmpdir(), 'cairn-bench-pipeline-'));
const gitEnv = BENCH_ENV;

const dvcBin = findDvc();

let timesLog = join(root, 'unused.log');
const run = (cmd: string, args: string[], cwd: string) =>
  timed(cmd, args, { cwd, env: { ...gitEnv, BENCH_TIMES: timesLog } });

interface Tool {
  name: 'cairn' | 'dvc';
  file: string;
  init: string[][];
  /** Runs the pipeline; returns its wall time and how many stages ran. */
  repro(cwd: string, extra?: string[]): { ms: number; ran: number };
}

const cairnTool: Tool = {
  name: 'cairn',
  file: 'cairn.yaml',
  init: [['init'], ['add', 'data/input.csv']],
  repro(cwd, extra = []) {
    const r = run(process.execPath, [CAIRN_BIN, 'run', '--json', ...extra], cwd);
    const summary = JSON.parse(r.stdout) as { status: string; stages: { status: string }[] };
    if (summary.status !== 'FINISHED') throw new Error(`cairn run ended ${summary.status}`);
    return { ms: r.ms, ran: summary.stages.filter((s) => s.status === 'done').length };
  },
};

const dvcTool: Tool = {
  name: 'dvc',
  file: 'dvc.yaml',
  init: [
    ['init', '-q'],
    ['add', '-q', 'data/input.csv'],
  ],
  repro(cwd, extra = []) {
    const r = run(dvcBin as string, ['repro', ...extra], cwd);
    return { ms: r.ms, ran: (r.stdout.match(/^Running stage '/gm) ?? []).length };
  },
};

const toolBin = (tool: Tool) => (tool.name === 'cairn' ? process.execPath : (dvcBin as string));
const toolArgs = (tool: Tool, args: string[]) => (tool.name === 'cairn' ? [CAIRN_BIN, ...args] : args);

function writeParams(dir: string, fastLr: number): void {
  writeFileSync(
    join(dir, 'params.yaml'),
    stringify({ ...PARAMS, train: { ...PARAMS.train, fast: { lr: fastLr } } }),
  );
}

function workspace(tool: Tool, input: string): string {
  const dir = join(root, tool.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  run('git', ['init', '-q'], dir);
  writeFileSync(join(dir, 'data/input.csv'), input);
  writeParams(dir, PARAMS.train.fast.lr);
  writeFileSync(join(dir, tool.file), pipelineYaml(benchStages()));
  for (const args of tool.init) run(toolBin(tool), toolArgs(tool, args), dir);
  run('git', ['add', '-A'], dir);
  run('git', ['commit', '-qm', 'pipeline'], dir);
  return dir;
}

interface FanOut {
  wall: number;
  sum: number;
  longest: number;
}

/** The feature stages' wall time, summed durations and longest duration, from the commands' log. */
function fanOut(log: string): FanOut {
  const spans = readFileSync(log, 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter(([name]) => name?.startsWith('features_'))
    .map(([, t0, t1]) => [
      Number(BigInt(t0 as string) / 1000n) / 1000,
      Number(BigInt(t1 as string) / 1000n) / 1000,
    ]);
  if (spans.length !== FEATURES)
    throw new Error(`${log}: ${spans.length} feature stages logged, not ${FEATURES}`);
  const starts = spans.map(([a]) => a as number);
  const ends = spans.map(([, b]) => b as number);
  const durations = spans.map(([a, b]) => (b as number) - (a as number));
  return {
    wall: Math.max(...ends) - Math.min(...starts),
    sum: durations.reduce((s, d) => s + d, 0),
    longest: Math.max(...durations),
  };
}

interface Result {
  full: number;
  fullRan: number;
  fan: FanOut;
  noChange: number;
  param: number;
  paramRan: number;
  wide?: { ms: number; fan: FanOut };
}

function measure(tool: Tool, input: string): Result {
  process.stderr.write(`${tool.name}: first full run\n`);
  const dir = workspace(tool, input);
  timesLog = join(root, `${tool.name}-full.log`);
  const full = tool.repro(dir);
  const fan = fanOut(timesLog);
  timesLog = join(root, `${tool.name}-rest.log`);
  process.stderr.write(`${tool.name}: ${NOCHANGE_RUNS} runs with nothing changed\n`);
  const noChange: number[] = [];
  for (let i = 0; i < NOCHANGE_RUNS; i++) {
    const r = tool.repro(dir);
    if (r.ran !== 0) throw new Error(`${tool.name}: ${r.ran} stages ran with nothing changed`);
    noChange.push(r.ms);
  }
  process.stderr.write(`${tool.name}: ${PARAM_RUNS} runs after a param change\n`);
  const param: { ms: number; ran: number }[] = [];
  for (let i = 0; i < PARAM_RUNS; i++) {
    writeParams(dir, 0.2 + i / 10);
    param.push(tool.repro(dir));
  }
  const result: Result = {
    full: full.ms,
    fullRan: full.ran,
    fan,
    noChange: median(noChange),
    param: median(param.map((p) => p.ms)),
    paramRan: median(param.map((p) => p.ran)),
  };
  if (tool.name === 'cairn') {
    process.stderr.write(`cairn: a forced full run with -j ${FEATURES}\n`);
    timesLog = join(root, 'cairn-wide.log');
    const wide = tool.repro(dir, ['--force', '-j', String(FEATURES)]);
    result.wide = { ms: wide.ms, fan: fanOut(timesLog) };
  }
  return result;
}

try {
  const input = inputCsv(ROWS);
  const before = loadavg();
  const cairn = measure(cairnTool, input);
  const dvc = dvcBin ? measure(dvcTool, input) : undefined;
  const after = loadavg();
  const dvcVersion = dvcBin ? run(dvcBin, ['--version'], root).stdout.trim() : undefined;

  const jobs = availableParallelism();
  const ratio = (c: number, d: number | undefined) => (d === undefined ? 'n/a' : `${(d / c).toFixed(1)}×`);
  const dvcCell = (text: string | undefined) => text ?? 'not installed';
  const fanText = (f: FanOut) => `${fmtMs(f.wall)} (sum ${fmtMs(f.sum)}, longest ${fmtMs(f.longest)})`;
  const stages = benchStages().length;
  const rows = [
    `| first full run, ${stages} stages | ${fmtMs(cairn.full)} | ${dvcCell(dvc && fmtMs(dvc.full))} | ${ratio(cairn.full, dvc?.full)} | Cairn \`-j ${jobs}\` (default: the cores); DVC runs one stage at a time |`,
    `| nothing changed | ${fmtMs(cairn.noChange)} | ${dvcCell(dvc && fmtMs(dvc.noChange))} | ${ratio(cairn.noChange, dvc?.noChange)} | median of ${NOCHANGE_RUNS}; goals: Cairn < 200 ms, ≥ 10× DVC |`,
    `| one param changed | ${fmtMs(cairn.param)} (${cairn.paramRan} stages ran) | ${dvcCell(dvc && `${fmtMs(dvc.param)} (${dvc.paramRan} stages ran)`)} | ${ratio(cairn.param, dvc?.param)} | \`train.fast.lr\`, read by 4 train stages; median of ${PARAM_RUNS} |`,
    `| fan-out: ${FEATURES} feature stages, wall time | ${fanText(cairn.fan)} | ${dvcCell(dvc && fanText(dvc.fan))} | ${ratio(cairn.fan.wall, dvc?.fan.wall)} | in the first full run; each stage sleeps 0.2 s |`,
  ];
  if (cairn.wide)
    rows.push(
      `| fan-out with \`cairn run -j ${FEATURES}\` | ${fanText(cairn.wide.fan)} | n/a (one stage at a time) | ${ratio(cairn.wide.fan.wall, dvc?.fan.wall)} | a forced full run: ${fmtMs(cairn.wide.ms)}; goal: wall close to the longest branch |`,
    );
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');
  const body = [
    `Run on ${new Date().toISOString().slice(0, 10)}: ${machine()}; ${dvcVersion ? `DVC ${dvcVersion}` : 'DVC not installed'}; ${ROWS.toLocaleString('en-US')} input rows; load average ${load(before)} before, ${load(after)} after.`,
    '',
    '| work | Cairn | DVC | DVC time / Cairn time | notes |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
  process.stdout.write(`${body}\n`);
  if (process.env.BENCH_WRITE_DOCS !== '0')
    replaceSection(
      fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url)),
      'bench:pipeline',
      body,
    );
} finally {
  rmSync(root, { recursive: true, force: true });
}
