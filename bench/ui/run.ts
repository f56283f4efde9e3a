/**
 * `npm run bench:ui`: Cairn's web UI against MLflow's own UI (served by `mlflow server`), in one
 * run, on the same data, with the same headless Chromium (playwright-core driving Debian's
 * /usr/bin/chromium or $CAIRN_TEST_CHROMIUM). Prints a table and writes it to the "bench:ui"
 * section of docs/benchmarks.md.
 *
 * Data (bench/ui/ui-data.ts, the same values on both sides): BENCH_UI_RUNS runs (10,000) with 20
 * params and 50 metrics each, and one run with a BENCH_UI_LONG_STEPS-step metric (1,000,000)
 * holding one spike. Each side is loaded the fastest way it offers: Cairn through its own SQL
 * write path (bench/ui/ui-data.ts), MLflow through its own table definitions
 * (bench/ui/mlflow_load.py); the load times are reported but are not the comparison.
 *
 * Measured, for each UI in a fresh browser context (BENCH_UI_REPEATS times, alternating the UIs;
 * the median is reported):
 *  - first rows: from navigating to the experiment's runs page until its newest run is on screen;
 *  - scroll to the end (first repeat only): from there until the oldest of the 10,000 runs is on
 *    screen (Cairn: scrolling the table; MLflow: scrolling and "Load more", 100 runs at a time,
 *    given up after BENCH_UI_MLFLOW_SCROLL_SECONDS, 600);
 *  - 1M-point chart: from navigating to the long run's charts until the chart is drawn, and
 *    whether the answer the chart was drawn from holds the spike;
 *  - peak JS heap of the page over the first repeat (table, scroll, chart), from the DevTools protocol.
 *
 * Settings (env): BENCH_UI_RUNS, BENCH_UI_LONG_STEPS, BENCH_UI_REPEATS (3),
 * BENCH_UI_MLFLOW_SCROLL_SECONDS, BENCH_MLFLOW (the mlflow command; default beside
 * $CAIRN_TEST_PYTHON or the project's .venv), BENCH_MLFLOW_WORKERS (4), BENCH_WRITE_DOCS=0,
 * BENCH_UI_VERBOSE=1 (each "Load more" of MLflow's table as it happens).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Response } from 'playwright-core';
import { SERVER_MIGRATIONS } from '../../src/server/server-wiring.ts';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { launchChromium } from '../../test/support/browser.ts';
import { ensureUiBuilt } from '../../test/support/ui-build.ts';
import { fmtMs, machine, median, replaceSection } from '../support.ts';
import { startCairn, startMlflow } from '../tracking/servers.ts';
import { loadIntoCairn, runName, SPIKE_VALUE } from './ui-data.ts';
import { cairnDriver, mlflowDriver, peakHeap, type UiDriver } from './ui-drivers.ts';

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}=${raw} is not a positive whole number`);
  return value;
}

const RUNS = setting('BENCH_UI_RUNS', 10_000);
const LONG_STEPS = setting('BENCH_UI_LONG_STEPS', 1_000_000);
const REPEATS = setting('BENCH_UI_REPEATS', 3);
const SCROLL_SECONDS = setting('BENCH_UI_MLFLOW_SCROLL_SECONDS', 600);
const WORKERS = setting('BENCH_MLFLOW_WORKERS', 4);
const CHROMIUM = process.env.CAIRN_TEST_CHROMIUM ?? '/usr/bin/chromium';

function findMlflow(): string {
  const py = process.env.CAIRN_TEST_PYTHON;
  const candidates = [
    process.env.BENCH_MLFLOW ?? '',
    py ? join(dirname(py), 'mlflow') : '',
    fileURLToPath(new URL('../../.venv/bin/mlflow', import.meta.url)),
  ];
  const found = candidates.find((c) => c !== '' && existsSync(c));
  if (!found)
    throw new Error(
      'no mlflow command found: run `eval "$(scripts/services/python-venv.sh)"` or set BENCH_MLFLOW',
    );
  return found;
}

interface Side {
  driver: UiDriver;
  experimentId: string;
  longRunId: string;
  /** Whether the chart's data held the spike, per repeat. */
  spike: boolean[];
  firstRows: number[];
  chart: number[];
  scroll?: { ms: number; reached: boolean; rows: number };
  peakHeap?: number;
}

async function measure(browser: Browser, side: Side, first: boolean): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  let spike = false;
  const watch = async (res: Response) => {
    const url = res.url();
    if (!url.includes('/metrics/series') && !url.includes('get-history-bulk-interval')) return;
    const body = (await res.json().catch(() => ({}))) as {
      series?: { max: unknown[] }[];
      metrics?: { value: unknown }[];
    };
    const values = [
      ...(body.series ?? []).flatMap((s) => s.max),
      ...(body.metrics ?? []).map((m) => m.value),
    ];
    if (values.some((v) => Number(v) === SPIKE_VALUE)) spike = true;
  };
  page.on('response', watch);
  const newest = runName(RUNS - 1);
  const run = async () => {
    let t = performance.now();
    await page.goto(side.driver.runsUrl(side.experimentId));
    await side.driver.firstRows(page, newest);
    side.firstRows.push(performance.now() - t);
    if (first) {
      t = performance.now();
      const outcome = await side.driver.scrollToEnd(page, runName(0), Date.now() + SCROLL_SECONDS * 1000);
      side.scroll = { ms: performance.now() - t, ...outcome };
    }
    t = performance.now();
    await page.goto(side.driver.chartUrl(side.experimentId, side.longRunId));
    await side.driver.chartDrawn(page);
    side.chart.push(performance.now() - t);
    // The answer the chart drew from may still be read by the response handler.
    await page.waitForTimeout(200);
  };
  if (first) side.peakHeap = (await peakHeap(cdp, run)).peak;
  else await run();
  side.spike.push(spike);
  page.off('response', watch);
  await context.close();
}

function ratio(cairn: number, mlflow: number): string {
  return `${(mlflow / cairn).toFixed(1)}×`;
}

async function main(): Promise<void> {
  ensureUiBuilt();
  const mlflow = findMlflow();
  const python = join(dirname(mlflow), 'python');
  const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-ui-'));
  const started: { stop(): Promise<void> }[] = [];
  try {
    process.stdout.write(
      `bench:ui: ${RUNS.toLocaleString('en')} runs × 20 params × 50 metrics, one run of ${LONG_STEPS.toLocaleString('en')} steps\n`,
    );
    const cairnStore = `sqlite://${join(dir, 'cairn.db')}`;
    let t = performance.now();
    const metadata = await openMetadataStore(cairnStore, SERVER_MIGRATIONS);
    const cairnData = await loadIntoCairn(metadata, RUNS, LONG_STEPS);
    await metadata.close();
    const cairnLoad = performance.now() - t;
    process.stdout.write(`  Cairn: loaded in ${fmtMs(cairnLoad)}\n`);
    const cairnServer = await startCairn({
      store: cairnStore,
      artifacts: join(dir, 'cairn-artifacts'),
      cwd: dir,
    });
    started.push(cairnServer);

    const mlflowStore = `sqlite:///${join(dir, 'mlflow.db')}`;
    const mlflowServer = await startMlflow({
      mlflow,
      store: mlflowStore,
      artifacts: join(dir, 'mlflow-artifacts'),
      workers: WORKERS,
      cwd: dir,
    });
    started.push(mlflowServer);
    const created = await fetch(`${mlflowServer.url}/api/2.0/mlflow/experiments/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ui-bench' }),
    });
    const mlflowExperiment = ((await created.json()) as { experiment_id: string }).experiment_id;
    t = performance.now();
    const load = spawnSync(
      python,
      [
        fileURLToPath(new URL('mlflow_load.py', import.meta.url)),
        mlflowStore,
        mlflowExperiment,
        String(RUNS),
        String(LONG_STEPS),
      ],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      },
    );
    if (load.status !== 0) throw new Error(`loading MLflow's database failed: ${load.stderr}`);
    const mlflowLoad = performance.now() - t;
    const mlflowLong = load.stdout.trim().split('\n').pop() as string;
    process.stdout.write(`  MLflow: loaded in ${fmtMs(mlflowLoad)}\n`);

    await checkSameData(cairnServer.url, cairnData.experimentId, mlflowServer.url, mlflowExperiment);

    const sides: Side[] = [
      {
        driver: cairnDriver(cairnServer.url),
        experimentId: cairnData.experimentId,
        longRunId: cairnData.longRunId,
        spike: [],
        firstRows: [],
        chart: [],
      },
      {
        driver: mlflowDriver(mlflowServer.url),
        experimentId: mlflowExperiment,
        longRunId: mlflowLong,
        spike: [],
        firstRows: [],
        chart: [],
      },
    ];
    const browser = await launchChromium(CHROMIUM);
    try {
      for (let rep = 0; rep < REPEATS; rep++)
        for (const side of rep % 2 === 0 ? sides : [...sides].reverse()) {
          await measure(browser, side, rep === 0);
          process.stdout.write(
            `  ${side.driver.name} #${rep + 1}: first rows ${fmtMs(side.firstRows.at(-1) as number)}, chart ${fmtMs(side.chart.at(-1) as number)}${rep === 0 && side.scroll ? `, scroll to the end ${side.scroll.reached ? fmtMs(side.scroll.ms) : `not reached in ${SCROLL_SECONDS} s (${side.scroll.rows} runs loaded)`}, peak heap ${((side.peakHeap ?? 0) / 2 ** 20).toFixed(0)} MiB` : ''}\n`,
          );
        }
    } finally {
      await browser.close();
    }
    const report = render(sides as [Side, Side], { cairnLoad, mlflowLoad, mlflow: mlflowServer.command });
    process.stdout.write(`\n${report}\n`);
    if (process.env.BENCH_WRITE_DOCS !== '0')
      replaceSection(fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url)), 'bench:ui', report);
  } finally {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

interface SearchedRun {
  info: { run_name: string };
  data: { params: { key: string; value: string }[]; metrics: { key: string; value: number }[] };
}

/** The two servers hold the same runs: a few compared value for value through their APIs. */
async function checkSameData(
  cairnUrl: string,
  cairnExp: string,
  mlflowUrl: string,
  mlflowExp: string,
): Promise<void> {
  const names = [runName(0), runName(Math.floor(RUNS / 2)), runName(RUNS - 1)];
  const read = async (url: string, exp: string) => {
    const found: SearchedRun[] = [];
    for (const name of names) {
      const res = await fetch(`${url}/api/2.0/mlflow/runs/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          experiment_ids: [exp],
          filter: `attributes.run_name = '${name}'`,
          max_results: 10,
        }),
      });
      if (!res.ok) throw new Error(`runs/search on ${url}: ${res.status} ${await res.text()}`);
      found.push(...(((await res.json()) as { runs?: SearchedRun[] }).runs ?? []));
    }
    return Object.fromEntries(
      found.map((r) => [
        r.info.run_name,
        {
          params: Object.fromEntries(r.data.params.map((p) => [p.key, p.value])),
          metrics: Object.fromEntries(r.data.metrics.map((m) => [m.key, m.value])),
        },
      ]),
    );
  };
  const [a, b] = [await read(cairnUrl, cairnExp), await read(mlflowUrl, mlflowExp)];
  if (Object.keys(a).length !== names.length || JSON.stringify(sortDeep(a)) !== JSON.stringify(sortDeep(b)))
    throw new Error(
      `the two servers do not hold the same runs:\nCairn ${JSON.stringify(a).slice(0, 500)}\nMLflow ${JSON.stringify(b).slice(0, 500)}`,
    );
}

function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortDeep((value as Record<string, unknown>)[k])]),
    );
  return value;
}

function render(
  [cairn, mlflow]: [Side, Side],
  extra: { cairnLoad: number; mlflowLoad: number; mlflow: string },
): string {
  const mib = (b: number | undefined) => `${((b ?? 0) / 2 ** 20).toFixed(0)} MiB`;
  const scroll = (s: Side) =>
    s.scroll?.reached
      ? fmtMs(s.scroll.ms)
      : `> ${SCROLL_SECONDS} s (${s.scroll?.rows.toLocaleString('en')} of ${RUNS.toLocaleString('en')} runs loaded)`;
  const scrollRatio =
    cairn.scroll && mlflow.scroll
      ? mlflow.scroll.reached
        ? ratio(cairn.scroll.ms, mlflow.scroll.ms)
        : `> ${ratio(cairn.scroll.ms, SCROLL_SECONDS * 1000)}`
      : '';
  const spike = (s: Side) => (s.spike.every(Boolean) ? 'kept' : s.spike.some(Boolean) ? 'sometimes' : 'lost');
  const rows = [
    ['measure', 'Cairn', 'MLflow', 'MLflow / Cairn'],
    [
      'runs table: first rows',
      fmtMs(median(cairn.firstRows)),
      fmtMs(median(mlflow.firstRows)),
      ratio(median(cairn.firstRows), median(mlflow.firstRows)),
    ],
    ['runs table: scroll to the last of 10,000 runs', scroll(cairn), scroll(mlflow), scrollRatio],
    [
      '1M-point chart drawn',
      fmtMs(median(cairn.chart)),
      fmtMs(median(mlflow.chart)),
      ratio(median(cairn.chart), median(mlflow.chart)),
    ],
    ['the spike in what the chart drew', spike(cairn), spike(mlflow), ''],
    [
      'peak JS heap (table, scroll, chart)',
      mib(cairn.peakHeap),
      mib(mlflow.peakHeap),
      ratio(cairn.peakHeap ?? 1, mlflow.peakHeap ?? 0),
    ],
    ['loading the data (not compared)', fmtMs(extra.cairnLoad), fmtMs(extra.mlflowLoad), ''],
  ];
  const table = [
    `| ${rows[0]?.join(' | ')} |`,
    '| --- | ---: | ---: | ---: |',
    ...rows.slice(1).map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
  const [load1] = loadavg();
  return [
    `Run on ${new Date().toISOString().slice(0, 10)}, ${machine()}, load average ${load1?.toFixed(1)} at the end; Chromium ${chromiumVersion()} headless, 1400×900.`,
    `${RUNS.toLocaleString('en')} runs × 20 params × 50 metrics and one run of ${LONG_STEPS.toLocaleString('en')} steps; median of ${REPEATS} fresh page loads per UI (scroll and heap: the first).`,
    `MLflow: \`${extra.mlflow}\`.`,
    '',
    table,
  ].join('\n');
}

function chromiumVersion(): string {
  const r = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' });
  return /[\d.]+/.exec(r.stdout)?.[0] ?? '?';
}

await main();
