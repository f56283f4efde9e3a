// biome-ignore-all lint/suspicious/noTemplateCurlyInString: fixtures are cairn.yaml text with its ${…} syntax.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pipelineSchemaText } from '../../src/pipeline/definition/pipeline-schema.ts';
import { cairn, cairnJson, newWorkspace, writeFiles } from '../support/cli.ts';
import { tempDir } from '../support/tmp-dir.ts';

const PIPELINE = {
  'params.yaml': 'train:\n  lr: 0.1\n',
  'data/raw.csv': 'a,b\n1,2\n',
  'cairn.yaml': [
    'stages:',
    '  prepare:',
    '    cmd: node prepare.js',
    '    deps: [data/raw.csv]',
    '    outs: [data/prepared]',
    '  train:',
    '    cmd: python train.py --lr ${train.lr}',
    '    deps: [data/prepared]',
    '    outs: [models/gbdt, models/logreg]',
    '  evaluate:',
    '    matrix: { model: [gbdt, logreg] }',
    '    cmd: python eval.py ${item.model}',
    '    deps: ["models/${item.model}"]',
    '    metrics: ["reports/${item.model}.json"]',
    '  lint:',
    '    cmd: echo ok',
    '',
  ].join('\n'),
};

async function pipelineWorkspace(): Promise<string> {
  const ws = await newWorkspace({ git: false });
  await writeFiles(ws, PIPELINE);
  return ws;
}

describe('cairn dag', () => {
  it('prints the stages in run order with their upstream', async () => {
    const ws = await pipelineWorkspace();
    const r = await cairn(['dag'], { cwd: ws });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        'lint',
        'prepare',
        'train            <- prepare',
        'evaluate@gbdt    <- train',
        'evaluate@logreg  <- train',
        '',
      ].join('\n'),
    );
  });

  it('prints Graphviz DOT, a Mermaid flowchart and JSON', async () => {
    const ws = await pipelineWorkspace();
    const dot = await cairn(['dag', '--dot'], { cwd: ws });
    assert.equal(dot.code, 0, dot.stderr);
    assert.equal(
      dot.stdout,
      [
        'digraph cairn {',
        '  rankdir=TB;',
        '  node [shape=box];',
        '  "lint";',
        '  "prepare";',
        '  "train";',
        '  "evaluate@gbdt";',
        '  "evaluate@logreg";',
        '  "prepare" -> "train";',
        '  "train" -> "evaluate@gbdt";',
        '  "train" -> "evaluate@logreg";',
        '}',
        '',
      ].join('\n'),
    );
    const mermaid = await cairn(['dag', '--mermaid'], { cwd: ws });
    assert.equal(
      mermaid.stdout,
      [
        'flowchart TD',
        '  s0["lint"]',
        '  s1["prepare"]',
        '  s2["train"]',
        '  s3["evaluate@gbdt"]',
        '  s4["evaluate@logreg"]',
        '  s1 --> s2',
        '  s2 --> s3',
        '  s2 --> s4',
        '',
      ].join('\n'),
    );
    const json = await cairnJson<{
      nodes: { name: string; cmd: string[]; deps: string[]; outs: string[]; source: string }[];
      edges: { from: string; to: string }[];
    }>(['dag'], { cwd: ws });
    assert.deepEqual(
      json.nodes.map((n) => n.name),
      ['lint', 'prepare', 'train', 'evaluate@gbdt', 'evaluate@logreg'],
    );
    assert.deepEqual(json.nodes[2], {
      name: 'train',
      cmd: ['python train.py --lr 0.1'],
      deps: ['data/prepared'],
      outs: ['models/gbdt', 'models/logreg'],
      source: 'cairn.yaml:6',
    });
    assert.deepEqual(json.edges, [
      { from: 'prepare', to: 'train' },
      { from: 'train', to: 'evaluate@gbdt' },
      { from: 'train', to: 'evaluate@logreg' },
    ]);
  });

  it('shows only the named stages and their upstream; a matrix name selects its stages', async () => {
    const ws = await pipelineWorkspace();
    const r = await cairn(['dag', 'evaluate'], { cwd: ws });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(' ')[0]),
      ['prepare', 'train', 'evaluate@gbdt', 'evaluate@logreg'],
    );
    const unknown = await cairn(['dag', 'trian'], { cwd: ws });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^error: no stage named "trian" in cairn\.yaml/);
  });

  it('refuses two output formats at once as a usage error', async () => {
    const ws = await pipelineWorkspace();
    const r = await cairn(['dag', '--dot', '--mermaid'], { cwd: ws });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--dot.*cannot be used with.*--mermaid/);
  });

  it('prints every validation problem on its own line with file:line and exits 2', async () => {
    const ws = await newWorkspace({ git: false });
    await writeFiles(ws, {
      'params.yaml': 'train:\n  lr: 0.1\n',
      'cairn.yaml': [
        'stages:',
        '  train:',
        '    cmd: python train.py --lr ${train.lrr}',
        '    dep: [data.csv]',
        '    outs: [model]',
        '  copy:',
        '    cmd: cp',
        '    outs: [model]',
        '',
      ].join('\n'),
    });
    const r = await cairn(['dag'], { cwd: ws });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.deepEqual(r.stderr.trimEnd().split('\n'), [
      'error: cairn.yaml has 3 problems:',
      '  cairn.yaml:3: stage "train": ${train.lrr}: "train.lrr" is not defined in params.yaml or vars (did you mean "train.lr"?)',
      '  cairn.yaml:4: stage "train": unknown key "dep" (did you mean "deps"?)',
      '  cairn.yaml:8: stage "copy": output "model" is also an output of stage "train" (cairn.yaml:5); each path can be written by one stage only',
    ]);
  });

  it('says so when there is no cairn.yaml', async () => {
    const ws = await newWorkspace({ git: false });
    const r = await cairn(['dag'], { cwd: ws });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^No pipeline: cairn\.yaml does not exist in .+\. Declare stages in it/);
    assert.deepEqual(await cairnJson(['dag'], { cwd: ws }), { nodes: [], edges: [] });
  });
});

describe('cairn schema', () => {
  it('prints the JSON Schema of cairn.yaml, inside a workspace or not', async () => {
    const r = await cairn(['schema'], { cwd: await tempDir() });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, pipelineSchemaText());
    const schema = JSON.parse(r.stdout) as { $schema: string; properties: Record<string, unknown> };
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.deepEqual(Object.keys(schema.properties), ['vars', 'stages', 'gates', 'deployments', 'monitors']);
  });
});
