import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GateResult } from '../../src/ml/gates/gate-result.ts';
import { type AliasResolver, type GateSubject, runGate } from '../../src/ml/gates/run-gate.ts';
import { OnnxRuntime } from '../../src/ml/runtime/onnx-runtime.ts';
import { readTable } from '../../src/ml/table/read-table.ts';
import type { Table } from '../../src/ml/table/table.ts';
import { trainModel } from '../../src/ml/train/train-model.ts';
import { type GateDefinition, loadGates } from '../../src/pipeline/definition/gate-definitions.ts';
import { syntheticCsv } from '../support/ml-data.ts';
import { tempDir } from '../support/tmp-dir.ts';

/** Every rule kind twice: a threshold it meets and one it cannot. */
const GATES = `gates:
  good:
    data: test.csv
    target: y
    rules:
      - roc_auc >= 0.6
      - roc_auc >= champion.roc_auc - 0.005
      - { slice: color, metric: recall, max_gap: 1 }
      - latency_p99_ms <= 1000
      - signature: compatible_with champion
      - invariance: { column: x2, perturb: 0.05, max_prediction_change: 1 }
  strict:
    data: test.csv
    target: y
    rules:
      - roc_auc >= 0.9999
      - roc_auc >= champion.roc_auc + 0.05
      - { slice: color, metric: recall, max_gap: 0 }
      - latency_p99_ms < 0.000001
      - signature: compatible_with champion
      - invariance: { column: x1, perturb: 0.05, max_prediction_change: 0 }
`;

describe('runGate on models trained here, through ONNX Runtime', () => {
  let dir = '';
  let table: Table;
  let full: OnnxRuntime;
  let narrow: OnnxRuntime;
  let gates: GateDefinition[];
  const data = { path: 'test.csv', digest: 'sha256:00', rows: 0 };
  before(async () => {
    dir = await tempDir('cairn-gate-run-');
    const train = await syntheticCsv({ rows: 1200, seed: 5 });
    const test = await syntheticCsv({ rows: 600, seed: 6 });
    // A model without x2: its signature removes an input of the full one.
    const narrowData = join(dir, 'narrow.csv');
    await writeFile(
      narrowData,
      readFileSync(train, 'utf8')
        .split('\n')
        .map((l) =>
          l
            .split(',')
            .filter((_, i) => i !== 1)
            .join(','),
        )
        .join('\n'),
    );
    await trainModel({ data: train, target: 'y', task: 'classification', out: join(dir, 'full'), seed: 1 });
    await trainModel({
      data: narrowData,
      target: 'y',
      task: 'classification',
      out: join(dir, 'narrow'),
      seed: 1,
    });
    table = (await readTable(test)).table;
    data.rows = table.rows;
    full = await OnnxRuntime.open(join(dir, 'full'));
    narrow = await OnnxRuntime.open(join(dir, 'narrow'));
    await writeFile(join(dir, 'cairn.yaml'), GATES);
    gates = await loadGates(dir);
  });
  after(async () => {
    await full?.close();
    await narrow?.close();
  });

  const subject = (runtime: OnnxRuntime, ref: string): GateSubject => ({ runtime, ref });
  const champion =
    (s: GateSubject): AliasResolver =>
    async () =>
      s;
  const run = (gate: string, candidate: GateSubject, resolveAlias: AliasResolver): Promise<GateResult> =>
    runGate({
      gate: gates.find((g) => g.name === gate) as GateDefinition,
      candidate,
      resolveAlias,
      table,
      data,
      latencyRuns: 30,
    });
  const byKind = (r: GateResult) => Object.fromEntries(r.rules.map((o) => [o.kind, o]));

  it('passes every rule kind with thresholds the model meets', async () => {
    const r = await run('good', subject(full, 'full'), champion(subject(full, 'full')));
    assert.equal(r.passed, true, JSON.stringify(r.rules, null, 1));
    const k = byKind(r);
    assert.equal(k.relative?.value, k.relative?.champion, 'the same model scores the same on the same data');
    assert.equal(k.signature?.detail, 'same inputs and types');
    assert.ok((k.latency?.value as number) > 0);
    assert.ok((k.invariance?.value as number) > 0, 'perturbing x2 moves the probability');
    assert.match(k.slice_gap?.detail as string, /recall .* for color=/);
    assert.equal(r.data.rows, 600);
    assert.ok((r.metrics.values.roc_auc as number) > 0.6);
  });

  it('fails every rule kind with thresholds the model cannot meet, saying why', async () => {
    const r = await run('strict', subject(narrow, 'narrow'), champion(subject(full, 'full')));
    assert.equal(r.passed, false);
    assert.deepEqual(
      r.rules.map((o) => [o.kind, o.passed]),
      [
        ['metric', false],
        ['relative', false],
        ['slice_gap', false],
        ['latency', false],
        ['signature', false],
        ['invariance', false],
      ],
    );
    const k = byKind(r);
    assert.equal(k.signature?.detail, 'removed input x2');
    assert.equal(
      k.relative?.threshold,
      `>= ${Number(((k.relative?.champion as number) + 0.05).toPrecision(6))}`,
    );
    assert.deepEqual(r.champion_metrics?.values.roc_auc, k.relative?.champion);
  });

  it('lets the first version of a model pass the rules against a champion, saying so', async () => {
    const r = await run('good', subject(full, 'full'), async () => 'first-version');
    assert.equal(r.passed, true);
    for (const kind of ['relative', 'signature'])
      assert.match(byKind(r)[kind]?.detail as string, /no champion yet: the first version/);
    assert.equal(r.champion, undefined);
  });

  it('refuses an invariance column that is missing or holds text, naming it', async () => {
    const gate = { ...(gates[0] as GateDefinition) };
    const rule = {
      kind: 'invariance' as const,
      text: 'invariance: color',
      line: 9,
      column: 'color',
      perturb: 0.1,
      maxPredictionChange: 1,
    };
    await assert.rejects(
      runGate({
        gate: { ...gate, rules: [rule] },
        candidate: subject(full, 'full'),
        resolveAlias: champion(subject(full, 'full')),
        table,
        data,
      }),
      { code: 'INVALID_ARGUMENT', message: /invariance column color of test\.csv holds text/ },
    );
    await assert.rejects(
      runGate({
        gate: { ...gate, rules: [{ ...rule, column: 'x9' }] },
        candidate: subject(full, 'full'),
        resolveAlias: champion(subject(full, 'full')),
        table,
        data,
      }),
      { code: 'INVALID_ARGUMENT', message: /test\.csv has no invariance column x9/ },
    );
  });
});
