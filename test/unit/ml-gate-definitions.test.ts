import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { binaryMetrics } from '../../src/ml/metrics/binary-metrics.ts';
import { multiclassMetrics } from '../../src/ml/metrics/multiclass-metrics.ts';
import { regressionMetrics } from '../../src/ml/metrics/regression-metrics.ts';
import { loadGates } from '../../src/pipeline/definition/gate-definitions.ts';
import { GATE_METRICS } from '../../src/pipeline/definition/gate-rules.ts';
import { loadPipeline } from '../../src/pipeline/definition/load-pipeline.ts';
import { writeFiles } from '../support/cli.ts';
import { tempDir } from '../support/tmp-dir.ts';

async function workspace(yaml: string): Promise<string> {
  const root = await tempDir('cairn-gates-');
  await writeFiles(root, { 'cairn.yaml': yaml });
  return root;
}

async function problems(yaml: string): Promise<string> {
  const root = await workspace(yaml);
  try {
    await loadGates(root);
  } catch (err) {
    return (err as Error).message;
  }
  return assert.fail('expected loadGates to fail');
}

const INCOME = `stages:
  train:
    cmd: echo
gates:
  income:
    data: data/test.csv
    target: income
    rules:
      - roc_auc >= 0.88
      - roc_auc >= champion.roc_auc - 0.005      # against the version that holds alias 'champion'
      - { slice: sex, metric: recall, max_gap: 0.10 }
      - latency_p99_ms <= 5
      - signature: compatible_with champion
      - invariance: { column: fnlwgt, perturb: 0.05, max_prediction_change: 0.01 }
`;

describe('gates in cairn.yaml', () => {
  it('reads every rule kind, with defaults for model and guarded aliases', async () => {
    const root = await workspace(INCOME);
    const [gate, ...rest] = await loadGates(root);
    assert.equal(rest.length, 0);
    assert.deepEqual(
      {
        name: gate?.name,
        model: gate?.model,
        aliases: gate?.aliases,
        data: gate?.data,
        target: gate?.target,
      },
      { name: 'income', model: 'income', aliases: ['champion'], data: 'data/test.csv', target: 'income' },
    );
    const strip = ({ text: _t, ...r }: { text: string }) => r;
    assert.deepEqual(gate?.rules.map(strip), [
      { kind: 'metric', line: 9, metric: 'roc_auc', op: '>=', value: 0.88 },
      { kind: 'relative', line: 10, metric: 'roc_auc', op: '>=', alias: 'champion', offset: -0.005 },
      { kind: 'slice_gap', line: 11, column: 'sex', metric: 'recall', maxGap: 0.1 },
      { kind: 'latency', line: 12, percentile: 99, op: '<=', value: 5 },
      { kind: 'signature', line: 13, alias: 'champion' },
      { kind: 'invariance', line: 14, column: 'fnlwgt', perturb: 0.05, maxPredictionChange: 0.01 },
    ]);
    assert.equal(gate?.rules[0]?.text, 'roc_auc >= 0.88');
    assert.equal(gate?.rules[2]?.text, 'slice: sex, metric: recall, max_gap: 0.1');
    // cairn run reads the same file and accepts it.
    assert.deepEqual(
      (await loadPipeline(root))?.stages.map((s) => s.name),
      ['train'],
    );
  });

  it('names the file, line and rule of each rule that does not parse, all at once', async () => {
    const message = await problems(`gates:
  income:
    data: data/test.csv
    target: income
    rules:
      - roc_auc >== 0.88
      - roc_acu >= 0.8
      - f1 >= champion.recall
      - { slice: sex, metric: recall }
      - signature: same_as champion
`);
    assert.match(message, /^cairn\.yaml has 5 problems:/);
    assert.match(
      message,
      /cairn\.yaml:6: gate income: rule "roc_auc >== 0\.88": the right side "= 0\.88" must be a number/,
    );
    assert.match(
      message,
      /cairn\.yaml:7: gate income: rule "roc_acu >= 0\.8": unknown metric "roc_acu" \(did you mean "roc_auc"\?\)/,
    );
    assert.match(message, /cairn\.yaml:8: .*compare a metric with the same metric/);
    assert.match(message, /cairn\.yaml:9: .*max_gap must be a number/);
    assert.match(message, /cairn\.yaml:10: .*compatible_with <alias>/);
  });

  it('points a slice rule written without braces (not valid YAML) to the braced form', async () => {
    const message = await problems(
      'gates:\n  g:\n    data: d.csv\n    target: y\n    rules:\n      - slice: sex, metric: recall, max_gap: 0.10  # gap\n',
    );
    assert.match(
      message,
      /^cairn\.yaml:6: invalid YAML: .*- \{ slice: sex, metric: recall, max_gap: 0\.10 \}\)$/,
    );
  });

  it('refuses a gate without data, target or rules, and data outside the workspace', async () => {
    const message = await problems('gates:\n  g:\n    data: ../elsewhere.csv\n    tagret: y\n');
    assert.match(message, /cairn\.yaml:2: gate g has no target/);
    assert.match(message, /cairn\.yaml:2: gate g has no rules/);
    assert.match(
      message,
      /cairn\.yaml:3: gate g: data "\.\.\/elsewhere\.csv" must be a path inside the workspace/,
    );
    assert.match(message, /cairn\.yaml:4: gate g: unknown key "tagret" \(did you mean "target"\?\)/);
  });

  it('cairn run refuses the same broken rule, with its line', async () => {
    const root = await workspace(
      'stages:\n  a:\n    cmd: echo\ngates:\n  g:\n    data: d.csv\n    target: y\n    rules: [auc > 0.5]\n',
    );
    await assert.rejects(loadPipeline(root), {
      message: /^cairn\.yaml:8: gate g: rule "auc > 0\.5": unknown metric "auc"/,
    });
  });

  it('reads the gates example of docs/models.md', async () => {
    const doc = readFileSync(new URL('../../docs/models.md', import.meta.url), 'utf8');
    const example = [...doc.matchAll(/```yaml\n(# cairn\.yaml\ngates:[\s\S]*?)```/g)].map(
      (m) => m[1] as string,
    );
    assert.equal(example.length, 1);
    const [gate] = await loadGates(await workspace(example[0] as string));
    assert.deepEqual(
      gate?.rules.map((r) => r.kind),
      ['metric', 'relative', 'slice_gap', 'latency', 'signature', 'invariance'],
    );
    assert.deepEqual([gate?.model, gate?.aliases, gate?.threshold], ['income', ['champion'], '0.5']);
  });

  it('names the same metrics that src/ml/metrics computes', () => {
    const names = new Set([
      ...Object.keys(binaryMetrics(Uint8Array.from([0, 1]), Float64Array.from([0.2, 0.8]), 0.5).values),
      ...Object.keys(
        multiclassMetrics(Int32Array.from([0, 1, 2]), { k: 3, values: new Float64Array(9).fill(1 / 3) })
          .values,
      ),
      ...Object.keys(regressionMetrics(Float64Array.from([1, 2]), Float64Array.from([1, 3])).values),
    ]);
    assert.deepEqual([...names].sort(), [...GATE_METRICS].sort());
  });
});
