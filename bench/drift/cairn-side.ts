/**
 * Cairn's side of bench:drift, in a process of its own so its peak memory is its own:
 * read the reference, summarize it, read the current window, detect drift.
 * Usage: node bench/drift/cairn-side.ts <reference.parquet> <current.parquet> <jobs> [maxSamplePoints]
 * Prints JSON: phase times (ms), peak RSS (MiB), and per column the test, score and verdict.
 */
import { DriftPool } from '../../src/monitoring/drift/drift-pool.ts';
import { readColumns } from '../../src/monitoring/read-columns.ts';

const [referencePath, currentPath, jobsArg, pointsArg] = process.argv.slice(2);
if (!referencePath || !currentPath) throw new Error('usage: cairn-side.ts <reference> <current> <jobs>');
const pool = new DriftPool({ jobs: Number(jobsArg ?? 1) });
const kinds = {
  c0: 'categorical',
  c1: 'categorical',
  c2: 'categorical',
  c3: 'categorical',
  c4: 'categorical',
} as const;
const t0 = performance.now();
let reference: Awaited<ReturnType<typeof readColumns>> | undefined = await readColumns(referencePath, {
  kinds,
});
const t1 = performance.now();
const summary = await pool.summarize(reference, pointsArg ? { maxSamplePoints: Number(pointsArg) } : {});
const t2 = performance.now();
// The raw reference is not needed once summarized (the monitoring layer stores the summary).
reference = undefined;
const current = await readColumns(currentPath, { kinds });
const t3 = performance.now();
const report = await pool.detectDrift(summary, current);
const t4 = performance.now();
await pool.close();
console.log(
  JSON.stringify({
    readReference: t1 - t0,
    summarize: t2 - t1,
    readCurrent: t3 - t2,
    detect: t4 - t3,
    total: t4 - t0,
    peakMiB: process.resourceUsage().maxRSS / 1024,
    columns: Object.fromEntries(
      report.columns.map((c) => [
        c.column,
        { method: c.method, score: c.score, drifted: c.drifted, exact: c.exact },
      ]),
    ),
  }),
);
