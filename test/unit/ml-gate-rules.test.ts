import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SliceResult } from '../../src/ml/evaluation/evaluate.ts';
import type { GateResult } from '../../src/ml/gates/gate-result.ts';
import {
  checkInvariance,
  checkLatency,
  checkMetric,
  checkRelative,
  checkSignature,
  checkSliceGap,
  percentile,
} from '../../src/ml/gates/rule-checks.ts';
import type { MetricSet } from '../../src/ml/metrics/metric-set.ts';
import { gateSummaryMarkdown, gateTableRows } from '../../src/ml/report/gate-summary.ts';
import { type GateRule, parseRule } from '../../src/pipeline/definition/gate-rules.ts';

function rule<K extends GateRule['kind']>(
  text: string | Record<string, unknown>,
  kind: K,
): Extract<GateRule, { kind: K }> {
  const parsed = parseRule(text, 3);
  assert.ok('rule' in parsed, 'problem' in parsed ? parsed.problem : '');
  assert.equal(parsed.rule.kind, kind);
  return parsed.rule as Extract<GateRule, { kind: K }>;
}

const metrics = (values: Record<string, number>, undef: Record<string, string> = {}): MetricSet => ({
  values,
  undefined: undef,
});

describe('gate rules', () => {
  it('holds a metric to a number, and fails an undefined metric with the reason', () => {
    assert.equal(checkMetric(rule('roc_auc >= 0.88', 'metric'), metrics({ roc_auc: 0.9 })).passed, true);
    assert.equal(checkMetric(rule('roc_auc >= 0.88', 'metric'), metrics({ roc_auc: 0.87 })).passed, false);
    assert.equal(checkMetric(rule('log_loss < 0.4', 'metric'), metrics({ log_loss: 0.4 })).passed, false);
    const undef = checkMetric(
      rule('r2 > 0.5', 'metric'),
      metrics({}, { r2: 'the target is constant (zero variance)' }),
    );
    assert.deepEqual([undef.passed, undef.value], [false, undefined]);
    assert.match(undef.detail as string, /r2 is undefined on this data: the target is constant/);
    assert.match(
      checkMetric(rule('rmse < 3', 'metric'), metrics({ f1: 0.5 })).detail as string,
      /not a metric of this model's task/,
    );
  });

  it("compares with the champion's value on the same data, offset included", () => {
    const r = rule('roc_auc >= champion.roc_auc - 0.005', 'relative');
    const within = checkRelative(r, metrics({ roc_auc: 0.896 }), metrics({ roc_auc: 0.9 }));
    assert.deepEqual([within.passed, within.champion, within.threshold], [true, 0.9, '>= 0.895']);
    assert.equal(checkRelative(r, metrics({ roc_auc: 0.894 }), metrics({ roc_auc: 0.9 })).passed, false);
    const noChampionValue = checkRelative(
      r,
      metrics({ roc_auc: 0.9 }),
      metrics({}, { roc_auc: 'one class' }),
    );
    assert.equal(noChampionValue.passed, false);
    assert.match(noChampionValue.detail as string, /the champion's roc_auc is undefined/);
  });

  it('measures the widest gap between slice groups, leaving out groups where the metric is undefined', () => {
    const slice: SliceResult = {
      column: 'sex',
      groups: [
        { label: 'Female', rows: 10, metrics: metrics({ recall: 0.7 }) },
        { label: 'Male', rows: 10, metrics: metrics({ recall: 0.82 }) },
        { label: 'Other', rows: 2, metrics: metrics({}, { recall: 'no positive row in the labels' }) },
      ],
    };
    const r = rule({ slice: 'sex', metric: 'recall', max_gap: 0.1 }, 'slice_gap');
    const out = checkSliceGap(r, slice);
    assert.equal(out.passed, false);
    assert.ok(Math.abs((out.value as number) - 0.12) < 1e-12);
    assert.match(
      out.detail as string,
      /recall 0\.7 for sex=Female, 0\.82 for sex=Male; left out, recall undefined: Other \(no positive row/,
    );
    assert.equal(checkSliceGap({ ...r, maxGap: 0.15 }, slice).passed, true);
    const lonely = checkSliceGap(r, { column: 'sex', groups: slice.groups.slice(1) });
    assert.deepEqual([lonely.passed, lonely.value], [false, undefined]);
  });

  it('takes the latency percentile by linear interpolation between ranks', () => {
    const ms = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(ms, 99), 99.01);
    assert.equal(percentile(ms, 50), 50.5);
    const out = checkLatency(rule('latency_p99_ms <= 5', 'latency'), [1, 2, 3, 4, 50]);
    assert.equal(out.passed, false);
    assert.equal(out.threshold, '<= 5 ms');
  });

  it('finds signatures incompatible when an input is removed or its type changes, not when one is added', () => {
    const r = rule('signature: compatible_with champion', 'signature');
    const champion = [
      { name: 'age', type: 'double' },
      { name: 'sex', type: 'string' },
    ];
    const added = checkSignature(r, [...champion, { name: 'hours', type: 'double' }], champion);
    assert.deepEqual([added.passed, added.detail], [true, 'adds input hours']);
    const broken = checkSignature(r, [{ name: 'age', type: 'string' }], champion);
    assert.equal(broken.passed, false);
    assert.equal(broken.detail, 'removed input sex; changed type age double → string');
  });

  it('holds the largest prediction change under perturbation to its maximum', () => {
    const r = rule(
      { invariance: { column: 'fnlwgt', perturb: 0.05, max_prediction_change: 0.01 } },
      'invariance',
    );
    assert.equal(checkInvariance(r, 0.004, 100, 'the probability of >50K').passed, true);
    assert.equal(checkInvariance(r, 0.02, 100, 'the probability of >50K').passed, false);
  });

  it('writes a table and a Markdown summary fit for a pull-request comment', () => {
    const result: GateResult = {
      gate: 'income',
      model: 'models:/income/4',
      version: { name: 'income', version: '4' },
      champion: { name: 'income', version: '3', alias: 'champion' },
      data: { path: 'data/test.csv', digest: `sha256:${'ab'.repeat(32)}`, rows: 6513 },
      target: 'income',
      passed: false,
      rules: [
        checkMetric(rule('roc_auc >= 0.88', 'metric'), metrics({ roc_auc: 0.91 })),
        checkRelative(
          rule('roc_auc >= champion.roc_auc - 0.005', 'relative'),
          metrics({ roc_auc: 0.91 }),
          metrics({ roc_auc: 0.93 }),
        ),
        checkLatency(rule('latency_p99_ms <= 5', 'latency'), [0.2, 0.3]),
      ],
      metrics: metrics({ roc_auc: 0.91 }),
      evaluated_at: '2026-01-01T00:00:00.000Z',
    };
    assert.deepEqual(gateTableRows(result), [
      ['RULE', 'VALUE', 'THRESHOLD', 'CHAMPION', 'RESULT'],
      ['roc_auc >= 0.88', '0.91', '>= 0.88', '-', 'pass'],
      ['roc_auc >= champion.roc_auc - 0.005', '0.91', '>= 0.925', '0.93', 'FAIL'],
      ['latency_p99_ms <= 5', '0.299 ms', '<= 5 ms', '-', 'pass'],
    ]);
    const md = gateSummaryMarkdown(result);
    assert.match(md, /^### ❌ Gate `income` failed \(1 of 3 rules\): `models:\/income\/4`\n/);
    assert.match(
      md,
      /\n\| `roc_auc >= champion\.roc_auc - 0\.005` \| 0\.91 \| >= 0\.925 \| 0\.93 \| ❌ fail \|\n/,
    );
    assert.match(
      md,
      /Data: `data\/test\.csv` \(6513 rows, `sha256:abababababab…`\), target `income` · champion: `models:\/income\/3` \(@champion\)/,
    );
  });
});
