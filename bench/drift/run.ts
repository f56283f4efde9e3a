/**
 * bench:drift — data drift on 20 numeric + 5 categorical columns, 100k vs 100k and 1M vs 1M rows:
 * Cairn (one thread and worker threads), Evidently's DataDriftPreset, and SciPy called per column,
 * each in its own process reading the same Parquet files. Goals: ≥ 10× faster than Evidently,
 * within 2× of SciPy's per-column time, peak memory below Evidently's.
 *
 * Needs CAIRN_TEST_EVIDENTLY_PYTHON (scripts/services/evidently-venv.sh) and a Python with SciPy
 * (CAIRN_TEST_PYTHON, else the Evidently one). BENCH_DRIFT_SIZES=100000 runs fewer sizes.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmtMs, machine, replaceSection, timed } from '../support.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const out = join(root, 'bench', 'out', 'drift');
const evidentlyPython =
  process.env.CAIRN_TEST_EVIDENTLY_PYTHON ??
  (existsSync(join(root, '.venv-evidently/bin/python'))
    ? join(root, '.venv-evidently/bin/python')
    : undefined);
if (!evidentlyPython) {
  console.error(
    'bench:drift needs Evidently: run scripts/services/evidently-venv.sh, or set CAIRN_TEST_EVIDENTLY_PYTHON',
  );
  process.exit(1);
}
const scipyPython = process.env.CAIRN_TEST_PYTHON ?? evidentlyPython;
const sizes = (process.env.BENCH_DRIFT_SIZES ?? '100000,1000000').split(',').map(Number);

/** 20 numeric columns (normal, log-normal, integer, rounded, some with NULLs) and 5 categorical; drift planted in 6. */
function tableSql(rows: number, drifted: boolean): string {
  const normal = 'sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())';
  const shift = drifted ? 0.25 : 0;
  const cols: string[] = [];
  for (let i = 0; i < 8; i++)
    cols.push(
      `${i < 4 ? shift : 0} * ${1 + i} + ${10 * i} + ${1 + i} * ${normal} AS n${String(i).padStart(2, '0')}`,
    );
  for (let i = 8; i < 12; i++) cols.push(`exp(${i === 8 && drifted ? 0.3 : 0} + ${normal}) AS n${i}`);
  for (let i = 12; i < 16; i++) cols.push(`CAST(floor(random() * ${100 * i}) AS BIGINT) AS n${i}`);
  for (let i = 16; i < 20; i++) cols.push(`round(${normal} * ${i}, 2) AS n${i}`);
  // A few missing values, as real data has.
  cols[5] = `CASE WHEN random() < 0.01 THEN NULL ELSE ${cols[5]?.replace(/ AS n05$/, '')} END AS n05`;
  cols[13] = `CASE WHEN random() < 0.01 THEN NULL ELSE ${cols[13]?.replace(/ AS n13$/, '')} END AS n13`;
  const levels = [3, 10, 50, 2, 20];
  levels.forEach((k, i) => {
    const power = i === 4 && drifted ? 1.5 : 2;
    cols.push(`'v' || CAST(floor(pow(random(), ${power}) * ${k}) AS INTEGER) AS c${i}`);
  });
  return `SELECT ${cols.join(', ')} FROM range(${rows})`;
}

async function makeData(rows: number): Promise<{ reference: string; current: string }> {
  const reference = join(out, `reference-${rows}.parquet`);
  const current = join(out, `current-${rows}.parquet`);
  if (existsSync(reference) && existsSync(current)) return { reference, current };
  mkdirSync(dirname(reference), { recursive: true });
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const c = await instance.connect();
    await c.run(`COPY (${tableSql(rows, false)}) TO '${reference}' (FORMAT parquet)`);
    await c.run(`COPY (${tableSql(rows, true)}) TO '${current}' (FORMAT parquet)`);
    c.closeSync();
  } finally {
    instance.closeSync();
  }
  return { reference, current };
}

interface Side {
  total: number;
  peakMiB: number;
  columns: Record<string, { method?: string; score: number; drifted?: boolean }>;
}
interface CairnSide extends Side {
  readReference: number;
  summarize: number;
  readCurrent: number;
  detect: number;
}
interface PythonSide extends Side {
  read: number;
  compute: number;
}

function run<T>(cmd: string, args: string[]): T {
  return JSON.parse(timed(cmd, args, { cwd: root }).stdout) as T;
}

const node = process.execPath;
const rowsLabel = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);
const lines: string[] = [];
const notes: string[] = [];
for (const rows of sizes) {
  const { reference, current } = await makeData(rows);
  console.error(`${rowsLabel(rows)} vs ${rowsLabel(rows)}: Cairn`);
  const one = run<CairnSide>(node, [join(root, 'bench/drift/cairn-side.ts'), reference, current, '1']);
  const two = run<CairnSide>(node, [join(root, 'bench/drift/cairn-side.ts'), reference, current, '2']);
  // The same with the whole reference kept (no bound on the stored sample): exact scores.
  const exact = run<CairnSide>(node, [
    join(root, 'bench/drift/cairn-side.ts'),
    reference,
    current,
    '1',
    'Infinity',
  ]);
  console.error('  SciPy per column');
  const scipy = run<PythonSide>(scipyPython, [join(root, 'bench/drift/scipy_side.py'), reference, current]);
  console.error('  Evidently DataDriftPreset');
  const evidently = run<PythonSide>(evidentlyPython, [
    join(root, 'bench/drift/evidently_side.py'),
    reference,
    current,
  ]);
  const best = two.total < one.total ? two : one;
  const cairnCompute = (c: CairnSide) => c.summarize + c.detect;
  const cols = Object.keys(scipy.columns).length;
  const label = `${rowsLabel(rows)} vs ${rowsLabel(rows)}`;
  lines.push(
    `| ${label} | total (read + compute) | ${fmtMs(one.total)} | ${fmtMs(two.total)} | ${fmtMs(evidently.total)} | ${fmtMs(scipy.total)} | ${(evidently.total / best.total).toFixed(1)}× |`,
    `| ${label} | compute only | ${fmtMs(cairnCompute(one))} | ${fmtMs(cairnCompute(two))} | ${fmtMs(evidently.compute)} | ${fmtMs(scipy.compute)} | ${(evidently.compute / Math.min(cairnCompute(one), cairnCompute(two))).toFixed(1)}× |`,
    `| ${label} | compute per column | ${fmtMs(cairnCompute(one) / cols)} | ${fmtMs(cairnCompute(two) / cols)} | ${fmtMs(evidently.compute / cols)} | ${fmtMs(scipy.compute / cols)} | |`,
    `| ${label} | peak memory | ${Math.round(one.peakMiB)} MiB | ${Math.round(two.peakMiB)} MiB | ${Math.round(evidently.peakMiB)} MiB | ${Math.round(scipy.peakMiB)} MiB | |`,
  );
  // Agreement: scores with SciPy's, verdicts with Evidently's.
  const deviation = (side: CairnSide) => {
    const d = Object.entries(side.columns).map(([name, c]) => {
      const s = scipy.columns[name]?.score as number;
      return { abs: Math.abs(c.score - s), rel: Math.abs(c.score - s) / Math.abs(s) };
    });
    return `${Math.max(...d.map((x) => x.rel)).toExponential(1)} relative, ${Math.max(...d.map((x) => x.abs)).toExponential(1)} absolute`;
  };
  const agree = (side: CairnSide) =>
    Object.entries(side.columns).filter(([name, c]) => c.drifted === evidently.columns[name]?.drifted).length;
  const drifted = Object.values(one.columns).filter((c) => c.drifted).length;
  notes.push(
    `${label}: Cairn read ${fmtMs(one.readReference)} + ${fmtMs(one.readCurrent)}, summarized the reference in ${fmtMs(one.summarize)} and tested the window in ${fmtMs(one.detect)} (one thread); Evidently read ${fmtMs(evidently.read)}; SciPy read ${fmtMs(scipy.read)}. With the default bound of 20,000 stored points per reference column, scores are within ${deviation(one)} of SciPy's and ${agree(one)}/${cols} verdicts equal Evidently's; keeping the whole reference (\`maxSamplePoints: Infinity\`, ${fmtMs(exact.total)} in all, peak ${Math.round(exact.peakMiB)} MiB) they are within ${deviation(exact)} and ${agree(exact)}/${cols}. ${drifted} of ${cols} columns drifted.`,
  );
  console.error(`  ${notes[notes.length - 1]}`);
}

const body = [
  `Run on ${new Date().toISOString().slice(0, 10)}: ${machine()}; Evidently 0.7.23 (pandas 2.3.3), SciPy 1.17.1. The machine was shared with other work while this ran (load average ${(await import('node:os')).loadavg()[0]?.toFixed(1)}), so times are indicative; each side ran once, in its own process.`,
  '',
  '| rows (reference vs current) | measure | Cairn, 1 thread | Cairn, 2 threads | Evidently DataDriftPreset | SciPy per column | Evidently / Cairn |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...lines,
  '',
  ...notes.map((n) => `- ${n}`),
].join('\n');
console.log(body);
replaceSection(join(root, 'docs/benchmarks.md'), 'bench:drift', body);
