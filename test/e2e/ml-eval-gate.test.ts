/**
 * Evaluation and gates as a user drives them: `cairn eval` of a package and of a registered
 * version (metrics equal to scikit-learn's on the same labels and scores, the HTML report, the
 * run it logs to, the version it records on), `cairn gate` passing and failing with its summary,
 * promotion after it, and bad input failing with one line and nothing written. A model made by
 * scikit-learn and converted by skl2onnx goes through `cairn model import`, eval and gate.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Evaluation } from '../../src/ml/evaluation/evaluate.ts';
import type { GateResult } from '../../src/ml/gates/gate-result.ts';
import { OnnxRuntime } from '../../src/ml/runtime/onnx-runtime.ts';
import { readTable } from '../../src/ml/table/read-table.ts';
import { findColumn } from '../../src/ml/table/table.ts';
import { type RunningServer, startServerProcess } from '../compat/server-process.ts';
import { cairn, cairnJson, newWorkspace, writeFiles } from '../support/cli.ts';
import { syntheticCsv } from '../support/ml-data.ts';
import { pythonReference } from '../support/python-reference.ts';
import { pythonGate } from '../support/services.ts';

type EvalJson = Evaluation & {
  data: { digest: string; rows: number };
  recorded_on?: string;
  run_id?: string;
};

const GATES = `gates:
  churn:
    data: data/test.csv
    target: y
    rules:
      - roc_auc >= 0.7
      - roc_auc >= champion.roc_auc - 0.005
      - { slice: color, metric: recall, max_gap: 0.5 }
      - latency_p99_ms <= 1000
      - signature: compatible_with champion
      - invariance: { column: x2, perturb: 0.05, max_prediction_change: 0.5 }
  strict:
    model: churn
    aliases: [strict-champion]
    data: data/test.csv
    target: y
    rules:
      - f1 >= 0.999
`;

describe('cairn eval and cairn gate', () => {
  let ws = '';
  before(async () => {
    ws = await newWorkspace();
    copyFileSync(await syntheticCsv({ rows: 1500, seed: 31 }), join(ws, 'train.csv'));
    await writeFiles(ws, {
      'data/test.csv': readFileSync(await syntheticCsv({ rows: 800, seed: 32 }), 'utf8'),
      'cairn.yaml': GATES,
    });
    for (const [out, model] of [
      ['models/v1', 'logistic'],
      ['models/v2', 'gbdt'],
    ])
      assert.equal(
        (
          await cairn(
            [
              'train',
              '--data',
              'train.csv',
              '--target',
              'y',
              '--task',
              'classification',
              '--model',
              model as string,
              '--out',
              out as string,
            ],
            { cwd: ws },
          )
        ).code,
        0,
      );
  });

  it('evaluates a package: metrics, slices, threshold and an offline report', async () => {
    const e = await cairnJson<EvalJson>(
      [
        'eval',
        'models/v1',
        '--data',
        'data/test.csv',
        '--target',
        'y',
        '--slice',
        'color',
        '--slice',
        'x1:3',
        '--threshold',
        'optimize:f1',
        '--report',
        'out/report.html',
      ],
      { cwd: ws },
    ).catch(async (err) => {
      // The report's directory does not exist yet: a one-line error, nothing written.
      assert.match(String(err), /out\/report\.html/);
      return undefined;
    });
    assert.equal(e, undefined);
    assert.equal(existsSync(join(ws, 'out')), false);
    const ok = await cairnJson<EvalJson>(
      [
        'eval',
        'models/v1',
        '--data',
        'data/test.csv',
        '--target',
        'y',
        '--slice',
        'color',
        '--slice',
        'x1:3',
        '--threshold',
        'optimize:f1',
        '--report',
        'report.html',
      ],
      { cwd: ws },
    );
    assert.equal(ok.rows, 800);
    assert.equal(ok.threshold?.spec, 'optimize:f1');
    assert.deepEqual(
      ok.slices.map((s) => [s.column, s.groups.length]),
      [
        ['color', 4],
        ['x1', 4],
      ],
      'three colours and three bins, each with the rows whose value is missing',
    );
    assert.equal(ok.slices[0]?.groups.at(-1)?.label, '(missing)');
    assert.equal(ok.data.digest.length, 'sha256:'.length + 64);
    assert.equal(ok.recorded_on, undefined, 'a directory is not a registry version');
    const html = readFileSync(join(ws, 'report.html'), 'utf8');
    assert.match(html, /Chart\.js v4/);
    assert.match(html, /<h2>Slices by color<\/h2>/);
    const text = await cairn(['eval', 'models/v1', '--data', 'data/test.csv', '--target', 'y'], { cwd: ws });
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /^models\/v1 on data\/test\.csv: 800 rows, classification, target y\nthreshold 0\.5, positive class yes\n/,
    );
    assert.match(text.stdout, /\n {2}roc_auc\s+0\.\d+\n/);
  });

  it('fails bad input with one line naming the column or file, and writes no report', async () => {
    writeFileSync(
      join(ws, 'data/no-x2.csv'),
      readFileSync(join(ws, 'data/test.csv'), 'utf8').replace(/^x1,x2,/, 'x1,z2,'),
    );
    writeFileSync(join(ws, 'data/one-class.csv'), 'x1,x2,color,y\n1,2,red,yes\n2,1,blue,yes\n');
    const cases: [string[], number, RegExp][] = [
      [
        ['--data', 'data/test.csv', '--target', 'label'],
        2,
        /^error: data\/test\.csv has no target column label — its columns are x1, x2, color, y\n$/,
      ],
      [
        ['--data', 'data/no-x2.csv', '--target', 'y'],
        2,
        /^error: data\/no-x2\.csv has no column x2, which the model takes as input/,
      ],
      [
        ['--data', 'data/one-class.csv', '--target', 'y'],
        2,
        /^error: target column y has one class only \(yes\)/,
      ],
      [['--data', 'data/test.csv', '--target', 'y', '--slice', 'colour'], 2, /has no slice column colour/],
      [['--data', 'data/test.csv', '--target', 'y', '--threshold', '2'], 2, /--threshold "2" is neither/],
      [['--data', 'data/missing.csv', '--target', 'y'], 1, /data\/missing\.csv does not exist/],
    ];
    for (const [args, code, message] of cases) {
      const r = await cairn(['eval', 'models/v1', ...args, '--report', 'bad.html'], { cwd: ws });
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.split('\n').length, 2, 'one line');
      assert.equal(existsSync(join(ws, 'bad.html')), false);
    }
  });

  it('gates registered versions, records results, and promotion follows them', async () => {
    for (const v of ['models/v1', 'models/v2'])
      assert.equal((await cairn(['models', 'register', v, '--name', 'churn'], { cwd: ws })).code, 0);
    // Version 1 is the first: nothing to compare with, its champion rules pass.
    const first = await cairn(['gate', 'models:/churn/1', '--summary', 'summary.md', '--json'], {
      cwd: ws,
      env: { GITHUB_STEP_SUMMARY: join(ws, 'step-summary.md') },
    });
    assert.equal(
      first.code,
      1,
      'version 2 exists, so there is no champion to compare with and none holds the alias',
    );
    assert.match(
      first.stderr,
      /^error: no version of churn holds alias champion \(rule "roc_auc >= champion\.roc_auc - 0\.005", cairn\.yaml:7\)/,
    );
    assert.equal(existsSync(join(ws, 'summary.md')), false, 'nothing written');
    assert.equal(
      (await cairnJson<unknown[]>(['models', 'checks', 'churn/1'], { cwd: ws })).length,
      0,
      'nothing recorded',
    );

    assert.equal(
      (
        await cairn(
          ['models', 'promote', 'churn', '1', '--alias', 'champion', '--force', '--reason', 'bootstrap'],
          { cwd: ws },
        )
      ).code,
      0,
    );
    const r = await cairn(
      ['gate', 'models:/churn/2', '--gate', 'churn', '--summary', 'summary.md', '--json'],
      {
        cwd: ws,
        env: { GITHUB_STEP_SUMMARY: join(ws, 'step-summary.md') },
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as GateResult;
    assert.equal(result.passed, true);
    assert.deepEqual(result.champion, { name: 'churn', version: '1', alias: 'champion' });
    assert.equal(result.rules.length, 6);
    const md = readFileSync(join(ws, 'summary.md'), 'utf8');
    assert.match(md, /^### ✅ Gate `churn` passed: `models:\/churn\/2`/);
    assert.equal(readFileSync(join(ws, 'step-summary.md'), 'utf8'), `${md}\n`);
    const table = await cairn(['gate', 'models:/churn/2'], { cwd: ws });
    assert.equal(table.code, 0);
    assert.match(table.stdout, /RULE\s+VALUE\s+THRESHOLD\s+CHAMPION\s+RESULT/);
    assert.match(table.stdout, /PASSED: all 6 rules/);

    const strict = await cairn(['gate', 'models:/churn/2', '--gate', 'strict'], { cwd: ws });
    assert.equal(strict.code, 1);
    assert.match(strict.stdout, /f1 >= 0\.999\s+0\.\d+\s+>= 0\.999\s+-\s+FAIL/);
    assert.match(strict.stdout, /FAILED: 1 of 1 rules/);

    const checks = await cairnJson<{ gate: string; passed: boolean }[]>(['models', 'checks', 'churn/2'], {
      cwd: ws,
    });
    assert.deepEqual(
      checks.map((c) => [c.gate, c.passed]),
      [
        ['strict', false],
        ['churn', true],
        ['churn', true],
      ],
    );
    assert.equal(
      (await cairn(['models', 'promote', 'churn', '2', '--alias', 'champion'], { cwd: ws })).code,
      0,
    );
    // A package directory is compared with the registry's champion too, and not recorded anywhere.
    const dir = await cairn(['gate', 'models/v1', '--gate', 'churn'], { cwd: ws });
    assert.match(dir.stdout, /^gate churn on models\/v1: data\/test\.csv \(800 rows\), champion churn\/2\n/);
    assert.match(dir.stdout, /not recorded: a package directory is not a registry version/);
    const refused = await cairn(['models', 'promote', 'churn', '2', '--alias', 'strict-champion'], {
      cwd: ws,
    });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /gate strict failed on version 2/);
  });

  it('records an evaluation on a registered version and logs it to the active run', async () => {
    const run = await cairn(['exp', 'list', '--json'], { cwd: ws });
    assert.equal(run.code, 0, run.stderr);
    const { runs } = JSON.parse(run.stdout) as { runs: { run_id: string }[] };
    const runId = runs[0]?.run_id as string;
    const e = await cairnJson<EvalJson>(
      ['eval', 'models:/churn@champion', '--data', 'data/test.csv', '--target', 'y'],
      {
        cwd: ws,
        env: { CAIRN_RUN_ID: runId },
      },
    );
    assert.equal(e.run_id, runId);
    assert.match(e.recorded_on ?? '', /^churn\/2 \(result \d+\)$/);
    const shown = await cairnJson<{ metric_history: { key: string; value: number }[] }>(
      ['exp', 'show', runId],
      { cwd: ws },
    );
    const logged = shown.metric_history.find((m) => m.key === 'eval_roc_auc');
    assert.equal(logged?.value, e.metrics.values.roc_auc);
    const checks = await cairnJson<
      { kind: string; result: { metrics: { values: Record<string, number> } } }[]
    >(['models', 'checks', 'churn/2'], { cwd: ws });
    assert.equal(checks[0]?.kind, 'evaluation');
    assert.deepEqual(checks[0]?.result.metrics.values, e.metrics.values);
  });
});

const python = pythonGate();
describe('a scikit-learn model converted by skl2onnx: import, eval and gate through a gated server', {
  skip: python.skip,
}, () => {
  let server: RunningServer | undefined;
  after(async () => {
    await server?.stop();
  });

  it('evaluates with metrics equal to scikit-learn’s on the same labels and scores, and passes its gate', async () => {
    const ws = await newWorkspace();
    copyFileSync(await syntheticCsv({ rows: 1500, seed: 41 }), join(ws, 'train.csv'));
    await writeFiles(ws, {
      'data/test.csv': readFileSync(await syntheticCsv({ rows: 700, seed: 42 }), 'utf8'),
      'cairn.yaml': GATES.replaceAll('churn', 'skl'),
    });
    const made = await runPython(['sklearn_onnx_model.py', join(ws, 'train.csv'), join(ws, 'sklearn.onnx')]);
    assert.deepEqual(made.classes, ['no', 'yes']);
    const imported = await cairn(
      [
        'model',
        'import',
        'sklearn.onnx',
        '--signature-from',
        'train.csv',
        '--target',
        'y',
        '--out',
        'models/skl',
      ],
      { cwd: ws },
    );
    assert.equal(imported.code, 0, imported.stderr);
    // CI's path: the model goes to a team server that enforces the gates, and is gated from there.
    server = await startServerProcess(['--enforce-gates', '--artifacts', join(ws, 'server-artifacts')], {
      cwd: ws,
    });
    const remote = ['--tracking-uri', server.url];
    const registered = await cairn(['models', 'register', 'models/skl', '--name', 'skl', ...remote], {
      cwd: ws,
    });
    assert.equal(registered.code, 0, registered.stderr);
    const early = await cairn(['models', 'promote', 'skl', '1', '--alias', 'champion', ...remote], {
      cwd: ws,
    });
    assert.equal(early.code, 1);
    assert.match(early.stderr, /gate skl has no result for version 1/);

    const e = await cairnJson<EvalJson>(
      ['eval', 'models:/skl/1', '--data', 'data/test.csv', '--target', 'y', '--slice', 'color', ...remote],
      { cwd: ws },
    );
    assert.match(e.recorded_on ?? '', /^skl\/1 /);
    // scikit-learn's metrics on the labels and the scores ONNX Runtime gives for the same rows.
    const { table } = await readTable(join(ws, 'data/test.csv'));
    const runtime = await OnnxRuntime.open(join(ws, 'models/skl'));
    const p = (await runtime.predict(table)).probabilities?.[1] as Float64Array;
    await runtime.close();
    const y = findColumn(table, 'y')?.values as (string | null)[];
    const color = findColumn(table, 'color')?.values as (string | null)[];
    const groups: Record<string, number[]> = {};
    color.forEach((c, i) => {
      const key = c ?? '(missing)';
      groups[key] ??= [];
      (groups[key] as number[]).push(i);
    });
    const ref = await pythonReference<Record<string, Record<string, unknown>>>(
      python.value as string,
      'metrics_reference.py',
      {
        cases: [
          {
            id: 'skl',
            kind: 'binary',
            y: y.map((v) => (v === 'yes' ? 1 : 0)),
            p: [...p],
            threshold: 0.5,
            groups,
          },
        ],
      },
    );
    const want = ref.skl as Record<string, unknown> & {
      groups: Record<string, Record<string, number | null>>;
    };
    for (const name of ['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'pr_auc', 'log_loss', 'brier'])
      assert.ok(
        Math.abs((e.metrics.values[name] as number) - (want[name] as number)) <= 1e-9,
        `${name}: ${e.metrics.values[name]} vs ${want[name]}`,
      );
    for (const g of e.slices[0]?.groups ?? [])
      assert.ok(
        Math.abs((g.metrics.values.recall as number) - (want.groups[g.label]?.recall as number)) <= 1e-9,
        `recall of ${g.label}`,
      );

    const gate = await cairn(['gate', 'models:/skl/1', '--json', ...remote], { cwd: ws });
    assert.equal(gate.code, 0, gate.stderr || gate.stdout);
    const result = JSON.parse(gate.stdout) as GateResult;
    assert.equal(result.passed, true);
    assert.match(
      result.rules.find((r) => r.kind === 'signature')?.detail ?? '',
      /no champion yet: the first version/,
    );
    const promoted = await cairn(['models', 'promote', 'skl', '1', '--alias', 'champion', ...remote], {
      cwd: ws,
    });
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.equal(promoted.stdout, 'skl@champion → version 1 — gate skl passed\n');
  });
});

function runPython(args: string[]): Promise<Record<string, unknown>> {
  const child = spawn(
    python.value as string,
    [resolve(import.meta.dirname, '../python', args[0] as string), ...args.slice(1)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) =>
      code === 0 ? done(JSON.parse(stdout)) : fail(new Error(`exit ${code}: ${stderr.slice(-3000)}`)),
    );
  });
}
