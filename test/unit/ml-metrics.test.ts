import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type Evaluation, evaluate } from '../../src/ml/evaluation/evaluate.ts';
import type { MetricSet } from '../../src/ml/metrics/metric-set.ts';
import { parseSliceSpec, sliceGroups } from '../../src/ml/metrics/slices.ts';
import { parseThreshold } from '../../src/ml/metrics/threshold.ts';
import { pythonReference, seededRandom } from '../support/python-reference.ts';
import { pythonGate } from '../support/services.ts';

type Ref = Record<string, unknown> & { groups?: Record<string, Record<string, unknown>> };

/** 1e-9, relative for values above 1 (MAPE with a zero target is about 1e14). */
const TOLERANCE = 1e-9;
const close = (a: number, b: number) => Math.abs(a - b) <= TOLERANCE * Math.max(1, Math.abs(b));
const METRICS = new Set([
  'accuracy',
  'precision',
  'recall',
  'f1',
  'roc_auc',
  'pr_auc',
  'log_loss',
  'brier',
  'precision_weighted',
  'recall_weighted',
  'f1_weighted',
  'rmse',
  'mae',
  'r2',
  'mape',
]);
const random = seededRandom(20240610);
const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

/** A binary data set whose scores carry signal, rounded so that many rows tie. */
function binaryData(n: number, digits: number) {
  const y: number[] = [];
  const p: number[] = [];
  const sex: string[] = [];
  const age: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = random() < 0.3 ? 1 : 0;
    const score = 1 / (1 + Math.exp(-(label * 1.5 - 0.8 + normal())));
    y.push(label);
    p.push(Number(score.toFixed(digits)));
    sex.push(random() < 0.4 ? 'Female' : 'Male');
    age.push(18 + Math.floor(random() * 60));
  }
  return { y, p, sex, age };
}

const BIN = binaryData(3000, 2);
// Probabilities of exactly 0 and 1 (log loss clips them) and on the calibration bin edges.
const EDGES = {
  y: [0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0],
  p: [0, 1, 0, 1, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.6, 0.4],
};
// Three classes: softmax of noisy logits.
const MULTI = (() => {
  const y: number[] = [];
  const p: number[][] = [];
  for (let i = 0; i < 1500; i++) {
    const c = Math.floor(random() * 3);
    const logits = [0, 1, 2].map((j) => (j === c ? 1.2 : 0) + normal());
    const e = logits.map(Math.exp);
    const s = e.reduce((a, b) => a + b, 0);
    y.push(c);
    p.push(e.map((v) => v / s));
  }
  return { y, p };
})();
const REG = (() => {
  const y: number[] = [];
  const yhat: number[] = [];
  const region: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const v = i % 97 === 0 ? 0 : 50 + 20 * normal();
    y.push(v);
    yhat.push(v + 5 * normal());
    region.push(['north', 'south', 'east'][i % 3] as string);
  }
  return { y, yhat, region };
})();

function groupsOf(values: (string | number)[], bins?: number): Record<string, number[]> {
  const spec = bins ? { column: 'c', bins } : { column: 'c' };
  const numeric = typeof values[0] === 'number';
  return Object.fromEntries(
    sliceGroups(spec, { name: 'c', numeric, values }).map((g) => [g.label, [...g.rows]]),
  );
}

function assertMetrics(actual: MetricSet, expected: Record<string, unknown>, where: string): void {
  for (const [name, want] of Object.entries(expected)) {
    if (!METRICS.has(name)) continue;
    if (want === null) {
      assert.equal(
        actual.values[name],
        undefined,
        `${where} ${name}: scikit-learn has no value, Cairn ${actual.values[name]}`,
      );
      assert.match(actual.undefined[name] ?? '', /\w/, `${where} ${name}: the reason it is undefined`);
      continue;
    }
    const got = actual.values[name];
    assert.equal(
      typeof got,
      'number',
      `${where} ${name}: expected ${want}, got undefined (${actual.undefined[name]})`,
    );
    assert.ok(close(got as number, want as number), `${where} ${name}: ${got} vs scikit-learn ${want}`);
  }
}

function assertSeries(actual: number[], expected: number[], where: string): void {
  assert.equal(actual.length, expected.length, `${where}: ${actual.length} points vs ${expected.length}`);
  for (const [i, v] of actual.entries())
    assert.ok(close(v, expected[i] as number), `${where}[${i}]: ${v} vs ${expected[i]}`);
}

function binaryEval(
  y: number[],
  p: number[],
  threshold: string,
  slices: { name: string; values: (string | number)[]; spec: string }[] = [],
): Evaluation {
  return evaluate(
    {
      task: 'classification',
      classes: ['0', '1'],
      actual: Int32Array.from(y),
      probabilities: { k: 2, values: Float64Array.from(p.flatMap((s) => [1 - s, s])) },
    },
    {
      target: 'y',
      threshold: parseThreshold(threshold),
      slices: slices.map((s) => ({
        spec: parseSliceSpec(s.spec),
        column: { name: s.name, numeric: typeof s.values[0] === 'number', values: s.values },
      })),
    },
  );
}

const gate = pythonGate();
describe('metrics equal scikit-learn on the same labels and scores', { skip: gate.skip }, () => {
  let ref: Record<string, Ref> = {};
  const cases = {
    binary: { kind: 'binary', ...BIN, threshold: 0.5, groups: groupsOf(BIN.sex) },
    binaryLow: { kind: 'binary', y: BIN.y, p: BIN.p, threshold: 0.3, groups: groupsOf(BIN.age, 4) },
    edges: { kind: 'binary', ...EDGES, threshold: 0.5 },
    allTied: { kind: 'binary', y: [0, 1, 0, 1, 1], p: [0.4, 0.4, 0.4, 0.4, 0.4], threshold: 0.5 },
    multiclass: { kind: 'multiclass', ...MULTI, groups: groupsOf(MULTI.y.map((c) => (c === 0 ? 'a' : 'b'))) },
    regression: { kind: 'regression', ...REG, groups: groupsOf(REG.region) },
    qcut: { kind: 'qcut', x: BIN.age, q: 4 },
    qcutTies: { kind: 'qcut', x: BIN.age.map((a) => Math.min(a, 30)), q: 5 },
  };
  before(async () => {
    ref = await pythonReference(gate.value as string, 'metrics_reference.py', {
      cases: Object.entries(cases).map(([id, c]) => ({ id, ...c })),
    });
  });

  it('binary: accuracy, precision, recall, F1, ROC AUC with ties, average precision, log loss, Brier, confusion matrix', () => {
    for (const [id, threshold] of [
      ['binary', '0.5'],
      ['binaryLow', '0.3'],
      ['edges', '0.5'],
      ['allTied', '0.5'],
    ] as const) {
      const c = cases[id] as { y: number[]; p: number[] };
      const e = binaryEval(c.y, c.p, threshold);
      assertMetrics(e.metrics, ref[id] as Ref, id);
      assert.deepEqual(
        e.confusion_matrix?.matrix,
        (ref[id] as Ref).confusion_matrix,
        `${id} confusion matrix`,
      );
    }
  });

  it('binary curves: ROC, precision-recall and the calibration curve', () => {
    for (const id of ['binary', 'edges'] as const) {
      const c = cases[id];
      const e = binaryEval(c.y, c.p, '0.5');
      const r = ref[id] as Record<string, Record<string, number[]>>;
      assertSeries(
        e.curves?.calibration.observed ?? [],
        r.calibration?.observed ?? [],
        `${id} calibration observed`,
      );
      assertSeries(
        e.curves?.calibration.predicted ?? [],
        r.calibration?.predicted ?? [],
        `${id} calibration predicted`,
      );
      assertSeries(e.curves?.roc.x ?? [], r.roc?.x ?? [], `${id} roc fpr`);
      assertSeries(e.curves?.roc.y ?? [], r.roc?.y ?? [], `${id} roc tpr`);
      assertSeries(e.curves?.pr.x ?? [], r.pr?.x ?? [], `${id} pr recall`);
      assertSeries(e.curves?.pr.y ?? [], r.pr?.y ?? [], `${id} pr precision`);
    }
  });

  it('optimize:f1 picks a threshold whose F1 is the best scikit-learn finds over all thresholds', () => {
    const e = binaryEval(BIN.y, BIN.p, 'optimize:f1');
    assert.equal(e.threshold?.spec, 'optimize:f1');
    assert.ok(close(e.metrics.values.f1 as number, (ref.binary as Ref).best_f1 as number));
    assert.ok(
      (e.metrics.values.f1 as number) > (binaryEval(BIN.y, BIN.p, '0.5').metrics.values.f1 as number),
    );
  });

  it('per-slice metrics by value and by quantile bins equal scikit-learn on each group', () => {
    const bySex = binaryEval(BIN.y, BIN.p, '0.5', [{ name: 'sex', values: BIN.sex, spec: 'sex' }]);
    assert.deepEqual(
      bySex.slices[0]?.groups.map((g) => g.label),
      ['Female', 'Male'],
    );
    for (const g of bySex.slices[0]?.groups ?? [])
      assertMetrics(g.metrics, (ref.binary as Ref).groups?.[g.label] ?? {}, `sex=${g.label}`);
    const byAge = binaryEval(BIN.y, BIN.p, '0.3', [{ name: 'age', values: BIN.age, spec: 'age:4' }]);
    const groups = byAge.slices[0]?.groups ?? [];
    assert.equal(groups.length, 4);
    for (const g of groups)
      assertMetrics(g.metrics, (ref.binaryLow as Ref).groups?.[g.label] ?? {}, `age ${g.label}`);
  });

  it('quantile bins put each row in the group pandas.qcut does, repeated edges dropped', () => {
    for (const id of ['qcut', 'qcutTies'] as const) {
      const c = cases[id];
      const groups = sliceGroups({ column: 'age', bins: c.q }, { name: 'age', numeric: true, values: c.x });
      const codes = new Array<number>(c.x.length).fill(-1);
      groups.forEach((g, b) => {
        for (const i of g.rows) codes[i] = b;
      });
      assert.deepEqual(codes, ref[id], id);
    }
  });

  it('multiclass: accuracy, macro and weighted averages, one-vs-rest ROC AUC, log loss, Brier, confusion matrix', () => {
    const e = evaluate(
      {
        task: 'classification',
        classes: ['a', 'b', 'c'],
        actual: Int32Array.from(MULTI.y),
        probabilities: { k: 3, values: Float64Array.from(MULTI.p.flat()) },
      },
      {
        target: 'y',
        slices: [
          {
            spec: { column: 'group' },
            column: { name: 'group', numeric: false, values: MULTI.y.map((c) => (c === 0 ? 'a' : 'b')) },
          },
        ],
      },
    );
    assertMetrics(e.metrics, ref.multiclass as Ref, 'multiclass');
    assert.deepEqual(e.confusion_matrix?.matrix, (ref.multiclass as Ref).confusion_matrix);
    // Group "a" holds class a only: ROC AUC is undefined there, and says so.
    for (const g of e.slices[0]?.groups ?? [])
      assertMetrics(g.metrics, (ref.multiclass as Ref).groups?.[g.label] ?? {}, `group ${g.label}`);
    assert.match(e.slices[0]?.groups[0]?.metrics.undefined.roc_auc ?? '', /has no row/);
  });

  it('regression: RMSE, MAE, R² and MAPE (with zero targets), overall and per slice', () => {
    const e = evaluate(
      { task: 'regression', actual: Float64Array.from(REG.y), predicted: Float64Array.from(REG.yhat) },
      {
        target: 'y',
        slices: [
          { spec: { column: 'region' }, column: { name: 'region', numeric: false, values: REG.region } },
        ],
      },
    );
    assertMetrics(e.metrics, ref.regression as Ref, 'regression');
    for (const g of e.slices[0]?.groups ?? [])
      assertMetrics(g.metrics, (ref.regression as Ref).groups?.[g.label] ?? {}, `region ${g.label}`);
  });
});

describe('undefined metrics and bad input', () => {
  it('a slice with one class reports ROC AUC, PR AUC and recall as undefined with the reason, never NaN', () => {
    const e = binaryEval([1, 0, 1, 0, 0, 0], [0.9, 0.2, 0.7, 0.4, 0.1, 0.3], '0.5', [
      { name: 'g', values: ['x', 'x', 'x', 'x', 'y', 'y'], spec: 'g' },
    ]);
    const y = e.slices[0]?.groups.find((g) => g.label === 'y')?.metrics as MetricSet;
    assert.deepEqual(Object.keys(y.undefined).sort(), ['f1', 'pr_auc', 'precision', 'recall', 'roc_auc']);
    assert.match(y.undefined.roc_auc as string, /only negative rows/);
    assert.equal(y.values.accuracy, 1);
    assert.ok(Object.values(y.values).every(Number.isFinite));
    assert.doesNotMatch(JSON.stringify(e), /NaN|null/);
  });

  it('R² of a constant target is undefined, with the reason', () => {
    const e = evaluate(
      {
        task: 'regression',
        actual: Float64Array.from([3, 3, 3]),
        predicted: Float64Array.from([2.5, 3, 3.5]),
      },
      { target: 'price' },
    );
    assert.equal(e.metrics.values.r2, undefined);
    assert.match(e.metrics.undefined.r2 as string, /constant/);
  });

  it('a single-class target is an error naming the column', () => {
    assert.throws(() => binaryEval([1, 1, 1], [0.2, 0.6, 0.9], '0.5'), {
      code: 'INVALID_ARGUMENT',
      message: /target column y has one class only \(1\)/,
    });
  });

  it('bad --threshold and --slice values are usage errors that say what to write', () => {
    assert.throws(() => parseThreshold('1.5'), {
      code: 'INVALID_ARGUMENT',
      message: /--threshold "1.5" is neither/,
    });
    assert.throws(() => parseThreshold('optimize:recall'), { message: /optimize:f1/ });
    assert.throws(() => parseSliceSpec('age:1'), { message: /between 2 and 50/ });
    assert.throws(
      () => sliceGroups({ column: 'sex', bins: 3 }, { name: 'sex', numeric: false, values: ['a'] }),
      {
        message: /slice column sex is not numeric/,
      },
    );
  });
});
