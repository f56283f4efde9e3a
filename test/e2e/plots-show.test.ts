import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cairn, cairnJson, newWorkspace, writeFiles } from '../support/cli.ts';
import { chromiumGate } from '../support/services.ts';

const ENTRY = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

/** A stage that logs a loss history through the SDK and writes three plots files. */
const TRAIN = `import { writeFileSync } from 'node:fs';
import { Tracking } from ${JSON.stringify(ENTRY)};
const lr = Number(process.argv[2]);
const tracking = await Tracking.fromEnv();
for (let step = 0; step < 30; step++) tracking.logMetric('loss', Math.exp(-lr * step), { step });
const roc = [0, 0.05, 0.1, 0.2, 0.4, 0.7, 1].map((fpr) => ({ fpr, tpr: Math.min(1, Math.sqrt(fpr) * 1.1), threshold: 1 - fpr }));
writeFileSync('plots/roc.json', JSON.stringify({ roc }));
writeFileSync('plots/confusion.csv', 'actual,predicted\\ncat,cat\\ncat,dog\\ndog,dog\\ndog,dog\\nbird,cat\\n');
writeFileSync('plots/lr.yaml', '- {epoch: 1, lr: 0.1}\\n- {epoch: 2, lr: 0.05}\\n- {epoch: 3, lr: 0.025}\\n');
await tracking.flush();
`;

/** The text outside the `/*! … *\/` licence comments that libraries keep at their top. */
function withoutLicenceComments(html: string): string {
  return html.replace(/\/\*![\s\S]*?\*\//g, '');
}

describe('cairn plots show', () => {
  let ws = '';
  const runs: string[] = [];

  before(async () => {
    ws = await newWorkspace();
    await writeFiles(ws, {
      'train.ts': TRAIN,
      'params.yaml': 'lr: 0.1\n',
      'plots/.keep': '',
      'cairn.yaml': `stages:
  train:
    cmd: ${process.execPath} train.ts \${lr}
    deps: [train.ts]
    params: [lr]
    plots: [plots/roc.json, plots/confusion.csv, plots/lr.yaml]
`,
    });
    for (const lr of ['0.1', '0.3'])
      runs.push((await cairnJson<{ run_id: string }>(['run', '--set', `lr=${lr}`], { cwd: ws })).run_id);
  });

  it('writes one self-contained HTML file with the library, the histories of the runs and the plots files', async () => {
    const out = join(ws, 'report.html');
    const r = await cairn(
      [
        'plots',
        'show',
        '--out',
        'report.html',
        '--run',
        runs[0] as string,
        '--run',
        (runs[1] as string).slice(0, 8),
      ],
      {
        cwd: ws,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^wrote report\.html: 1 metric chart from 2 runs, 3 plots from 3 plots files$/m);
    const html = readFileSync(out, 'utf8');
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /Chart\.js v4\.\d+\.\d+/, 'the library is inlined');
    assert.doesNotMatch(
      html,
      /<script[^>]+src=|<link[^>]+href=|<img[^>]+src="(?!data:)/i,
      'nothing loaded from elsewhere',
    );
    assert.doesNotMatch(withoutLicenceComments(html), /https?:\/\//, 'no URL outside the licence comments');
    assert.doesNotMatch(html, /url\(/, 'no CSS url()');
    const data = JSON.parse(
      /<script type="application\/json" id="cairn-plot-data">(.*?)<\/script>/s.exec(html)?.[1] ?? '{}',
    ) as {
      charts: {
        x: string;
        y: string;
        unitSquare: boolean;
        series: { label: string; points: [number, number][] }[];
      }[];
    };
    const loss = data.charts.find((c) => c.y === 'loss');
    assert.equal(loss?.series.length, 2, 'one line per run');
    assert.deepEqual(loss?.series[1]?.points[1], [1, Math.exp(-0.3)]);
    const roc = data.charts.find((c) => c.x === 'fpr');
    assert.equal(roc?.unitSquare, true);
    assert.equal(roc?.y, 'tpr');
    assert.equal(data.charts.find((c) => c.x === 'epoch')?.y, 'lr');
    // The confusion matrix is a table: rows actual, columns predicted, labels sorted.
    assert.match(html, /<th>actual \\ predicted<\/th><th>bird<\/th><th>cat<\/th><th>dog<\/th>/);
    assert.match(html, /<tr><th>dog<\/th><td[^>]*>0<\/td><td[^>]*>0<\/td><td[^>]*>2<\/td><\/tr>/);
  });

  it('defaults to the latest run and a git-ignored file in .cairn/tmp, and reports what it wrote as JSON', async () => {
    const summary = await cairnJson<{
      out: string;
      runs: string[];
      metric_charts: number;
      plots_files: { plots: string[] }[];
    }>(['plots', 'show'], { cwd: ws });
    assert.equal(summary.out, join(ws, '.cairn', 'tmp', 'plots.html'));
    assert.deepEqual(summary.runs, [runs[1]]);
    assert.equal(summary.metric_charts, 1);
    assert.deepEqual(
      summary.plots_files.map((f) => f.plots),
      [['line'], ['confusion'], ['line']],
    );
  });

  const gate = chromiumGate();
  it('draws every chart in a real browser (headless Chromium)', { skip: gate.skip }, async () => {
    const out = join(ws, 'render.html');
    const r = await cairn(
      ['plots', 'show', '--out', out, '--run', runs[0] as string, '--run', runs[1] as string],
      { cwd: ws },
    );
    assert.equal(r.code, 0, r.stderr);
    const browser = spawnSync(
      gate.value as string,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--virtual-time-budget=5000',
        '--dump-dom',
        `file://${out}#check`,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(browser.status, 0, browser.stderr);
    const dom = browser.stdout;
    assert.match(dom, /<body data-charts-drawn="3">/, 'the drawing script ran to the end');
    const canvases = [...dom.matchAll(/<canvas id="chart-\d+"[^>]*>/g)].map(([tag]) => {
      const attr = (name: string) => Number(new RegExp(`${name}="(\\d+)"`).exec(tag)?.[1] ?? 0);
      return { width: attr('width'), height: attr('height'), painted: attr('data-painted') };
    });
    assert.equal(canvases.length, 3);
    for (const c of canvases) {
      assert.ok(c.width > 100 && c.height > 100, `canvas ${c.width}x${c.height}`);
      // Axes, grid, labels and lines: a few percent of the canvas at least, but not a filled box.
      assert.ok(
        c.painted > c.width * c.height * 0.02 && c.painted < c.width * c.height * 0.9,
        `painted ${c.painted}`,
      );
    }
  });
});
