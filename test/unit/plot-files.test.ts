import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { metricCharts } from '../../src/tracking/plots/metric-charts.ts';
import { parseDelimited, plotsFromFile } from '../../src/tracking/plots/plot-files.ts';
import { renderPlotReport } from '../../src/tracking/plots/plot-report.ts';
import { type LinePlot, MAX_POINTS, type PlotSpec, thin } from '../../src/tracking/plots/plot-spec.ts';

const file = (path: string, text: string): PlotSpec[] => plotsFromFile(path, Buffer.from(text));

describe('plots files', () => {
  it('draws fpr/tpr as an ROC curve in the unit square, from a list or from a keyed list', () => {
    const rows = [
      { fpr: 0, tpr: 0, threshold: 1 },
      { fpr: 0.5, tpr: 0.8, threshold: 0.5 },
      { fpr: 1, tpr: 1, threshold: 0 },
    ];
    for (const [path, text] of [
      ['roc.json', JSON.stringify(rows)],
      ['eval.json', JSON.stringify({ roc: rows })],
    ] as const) {
      const [plot] = file(path, text) as [LinePlot];
      assert.equal(plot.kind, 'line');
      assert.deepEqual([plot.x, plot.y, plot.unitSquare], ['fpr', 'tpr', true]);
      assert.deepEqual(plot.series[0]?.points, [
        [0, 0],
        [0.5, 0.8],
        [1, 1],
      ]);
    }
    assert.equal(file('eval.json', JSON.stringify({ roc: rows }))[0]?.title, 'eval.json: roc');
  });

  it('takes step/epoch as x (else the row number) and every other numeric column as a line', () => {
    const [byEpoch] = file('train.csv', 'epoch,loss,val_loss,note\n1,0.9,1.0,a\n2,0.5,0.7,b\n') as [LinePlot];
    assert.equal(byEpoch.x, 'epoch');
    assert.deepEqual(
      byEpoch.series.map((s) => [s.label, s.points]),
      [
        [
          'loss',
          [
            [1, 0.9],
            [2, 0.5],
          ],
        ],
        [
          'val_loss',
          [
            [1, 1],
            [2, 0.7],
          ],
        ],
      ],
    );
    const [byRow] = file('acc.yaml', '- acc: 0.5\n- acc: 0.7\n') as [LinePlot];
    assert.equal(byRow.x, 'row');
    assert.deepEqual(byRow.series[0]?.points, [
      [0, 0.5],
      [1, 0.7],
    ]);
  });

  it('counts actual/predicted rows into a confusion matrix, and reads labels + matrix as one', () => {
    const [cm] = file('cm.tsv', 'actual\tpredicted\n1\t1\n10\t2\n2\t2\n10\t10\n') as [
      PlotSpec & { kind: 'confusion' },
    ];
    assert.equal(cm.kind, 'confusion');
    assert.deepEqual(cm.labels, ['1', '2', '10'], 'numeric labels in numeric order');
    assert.deepEqual(cm.matrix, [
      [1, 0, 0],
      [0, 1, 0],
      [0, 1, 1],
    ]);
    const [given] = file(
      'cm.json',
      JSON.stringify({
        labels: ['no', 'yes'],
        matrix: [
          [5, 1],
          [2, 7],
        ],
      }),
    ) as [PlotSpec & { kind: 'confusion' }];
    assert.deepEqual(
      [given.labels, given.matrix],
      [
        ['no', 'yes'],
        [
          [5, 1],
          [2, 7],
        ],
      ],
    );
  });

  it('shows images as they are and says why a file cannot be drawn', () => {
    const [image] = plotsFromFile('plots/shap.png', Uint8Array.from([0x89, 0x50, 0x4e, 0x47]));
    assert.deepEqual(image, {
      kind: 'image',
      title: 'plots/shap.png',
      source: 'plots/shap.png',
      mime: 'image/png',
      base64: 'iVBORw==',
    });
    assert.match((file('bad.json', '{ nope')[0] as { message: string }).message, /^cannot parse: /);
    assert.match((file('x.json', '{"a": 1}')[0] as { message: string }).message, /no list of rows/);
    assert.match(
      (file('x.csv', 'name,kind\na,b\n')[0] as { message: string }).message,
      /no numeric column to draw \(columns: name, kind\)/,
    );
  });

  it('parses CSV with quotes, CRLF and empty cells', () => {
    assert.deepEqual(parseDelimited('a,b,c\r\n"x, ""y""",2,\r\n', ','), [
      { a: 'x, "y"', b: 2, c: undefined },
    ]);
  });

  it('thins long series to the low and high point of each interval, keeping spikes', () => {
    const points = Array.from({ length: 100_000 }, (_, i): [number, number] => [
      i,
      i === 54_321 ? 1000 : Math.sin(i / 100),
    ]);
    const t = thin(points);
    assert.ok(t.thinned && t.points.length <= MAX_POINTS);
    assert.ok(
      t.points.some(([x, y]) => x === 54_321 && y === 1000),
      'the spike survives',
    );
    assert.deepEqual(
      t.points.map(([x]) => x),
      [...t.points.map(([x]) => x)].sort((a, b) => a - b),
      'still in x order',
    );
  });
});

describe('metric charts and the report', () => {
  it('makes one chart per metric with a history, one line per run', () => {
    const history = (values: number[]) =>
      values.map((value, step) => ({ key: 'k', value, step, timestamp: step }));
    const charts = metricCharts([
      {
        label: 'a',
        histories: new Map([
          ['loss', history([3, 2, 1])],
          ['acc', history([0.9])],
        ]),
      },
      { label: 'b', histories: new Map([['loss', history([4, Number.NaN, 2])]]) },
    ]);
    assert.deepEqual(
      charts.map((c) => [c.title, c.series.map((s) => [s.label, s.points.length])]),
      [
        [
          'loss',
          [
            ['a', 3],
            ['b', 2],
          ],
        ],
      ],
      'acc has one value: it belongs in the table, not a chart; NaN is left out',
    );
  });

  it('escapes every text and keeps data from closing its script element', () => {
    const html = renderPlotReport(
      {
        title: 'Cairn <plots>',
        generatedAt: new Date(0),
        runs: [{ run_id: 'r1', run_name: '<img src=x onerror=alert(1)>', status: 'FINISHED', start_time: 0 }],
        metricCharts: [
          {
            kind: 'line',
            title: '</script><b>',
            source: 'metric history',
            x: 'step',
            y: 'x',
            series: [{ label: '</script>', points: [[0, 1]] }],
          },
        ],
        latest: { keys: ['acc'], rows: [{ run: 'r1', values: [0.5] }] },
        files: [],
      },
      'window.Chart = function () {}; // "</script>" in a string',
    );
    assert.doesNotMatch(html, /<img src=x/);
    assert.equal(html.match(/<\/script>/g)?.length, 3, 'only the three script elements close');
    assert.match(html, /<title>Cairn &#60;plots&#62;<\/title>/);
  });
});
