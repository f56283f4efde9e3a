import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { evaluate } from '../../src/ml/evaluation/evaluate.ts';
import { renderEvalReport } from '../../src/ml/report/eval-report.ts';
import { chartLibrarySource } from '../../src/tracking/plots/chart-library.ts';
import { seededRandom } from '../support/python-reference.ts';
import { chromiumGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';

const random = seededRandom(7);
const n = 800;
const actual = Int32Array.from({ length: n }, () => (random() < 0.35 ? 1 : 0));
const scores = Float64Array.from(actual, (y) =>
  Math.min(1, Math.max(0, 0.3 + 0.35 * y + 0.3 * (random() - 0.5))),
);
const sex: string[] = Array.from({ length: n }, () => (random() < 0.5 ? 'Female' : 'Male'));
// A group of two negative rows only: its ROC AUC is undefined.
sex[0] = 'Other';
sex[1] = 'Other';
actual[0] = 0;
actual[1] = 0;

const evaluation = evaluate(
  {
    task: 'classification',
    classes: ['<=50K', '>50K'],
    actual,
    probabilities: { k: 2, values: Float64Array.from([...scores].flatMap((s) => [1 - s, s])) },
  },
  {
    target: 'income',
    slices: [{ spec: { column: 'sex' }, column: { name: 'sex', numeric: false, values: sex } }],
  },
);

async function report(): Promise<{ html: string; file: string }> {
  const html = renderEvalReport(
    evaluation,
    { model: 'models:/income/3', data: 'data/test.csv', generatedAt: new Date(0) },
    await chartLibrarySource(),
  );
  const file = join(await tempDir('cairn-eval-report-'), 'report.html');
  await writeFile(file, html);
  return { html, file };
}

describe('the evaluation report', () => {
  it('is one offline HTML file with Chart.js inlined, the metrics, the confusion matrix and the slice table', async () => {
    const { html } = await report();
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /Chart\.js v4\.\d+\.\d+/);
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/i, 'nothing loaded from elsewhere');
    assert.match(html, /<title>Evaluation of models:\/income\/3<\/title>/);
    const auc = evaluation.metrics.values.roc_auc as number;
    assert.match(
      html,
      new RegExp(
        `<th>roc_auc</th><td class="num">${String(Number(auc.toFixed(4))).replace('.', '\\.')}</td>`,
      ),
    );
    const [[tn, fp], [fn, tp]] = (evaluation.confusion_matrix?.matrix ?? []) as [
      [number, number],
      [number, number],
    ];
    assert.equal(tn + fp + fn + tp, n);
    assert.match(html, new RegExp(`<tr><th>&#62;50K</th><td[^>]*>${fn}</td><td[^>]*>${tp}</td></tr>`));
    assert.match(
      html,
      /<tr><td>Other<\/td><td class="num">2<\/td>.*<td class="undef" title="only negative rows in the labels \(one class\)">undefined<\/td>/,
    );
    const data = JSON.parse(/id="cairn-eval-data">(.*?)<\/script>/s.exec(html)?.[1] ?? '{}') as {
      charts: { id: string; x: number[]; y: number[] }[];
    };
    assert.deepEqual(
      data.charts.map((c) => c.id),
      ['chart-roc', 'chart-pr', 'chart-calibration'],
    );
    assert.deepEqual(data.charts[2]?.x, evaluation.curves?.calibration.predicted);
  });

  const gate = chromiumGate();
  it('draws the ROC, precision-recall and calibration curves in a real browser', {
    skip: gate.skip,
  }, async () => {
    const { file } = await report();
    const browser = spawnSync(
      gate.value as string,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--virtual-time-budget=5000',
        '--dump-dom',
        `file://${file}#check`,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(browser.status, 0, browser.stderr);
    assert.match(browser.stdout, /<body data-charts-drawn="3">/, 'the drawing script ran to the end');
    const canvases = [...browser.stdout.matchAll(/<canvas id="chart-[a-z]+"[^>]*>/g)].map(([tag]) => {
      const attr = (name: string) => Number(new RegExp(`${name}="(\\d+)"`).exec(tag)?.[1] ?? 0);
      return { width: attr('width'), height: attr('height'), painted: attr('data-painted') };
    });
    assert.equal(canvases.length, 3);
    for (const c of canvases) {
      assert.ok(c.width > 100 && c.height > 100, `canvas ${c.width}x${c.height}`);
      assert.ok(
        c.painted > c.width * c.height * 0.02 && c.painted < c.width * c.height * 0.9,
        `painted ${c.painted}`,
      );
    }
  });
});
