// biome-ignore-all lint/suspicious/noTemplateCurlyInString: fixtures are cairn.yaml text with its ${…} syntax.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { loadPipeline } from '../../src/pipeline/definition/load-pipeline.ts';
import { PIPELINE_SCHEMA, pipelineSchemaText } from '../../src/pipeline/definition/pipeline-schema.ts';
import { writeFiles } from '../support/cli.ts';
import { tempDir } from '../support/tmp-dir.ts';

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, strictRequired: false });
const validate = ajv.compile(PIPELINE_SCHEMA);

function schemaErrors(text: string): string {
  return validate(parse(text)) ? '' : ajv.errorsText(validate.errors);
}

type LoadResult = { ok: true } | { ok: false; problems: string[] };

/**
 * Loads `cairn.yaml` text in a fresh workspace holding `files`. Deps that are reported missing are
 * created and the load retried, so examples need not ship their data.
 */
async function loads(text: string, files: Record<string, string> = {}): Promise<LoadResult> {
  const root = await tempDir('cairn-schema-');
  await writeFiles(root, { ...files, 'cairn.yaml': text });
  for (let attempt = 0; ; attempt++) {
    try {
      await loadPipeline(root);
      return { ok: true };
    } catch (err) {
      const problems = (
        err as { details?: { problems?: { line: number; message: string }[] } }
      ).details?.problems?.map((p) => `${p.line}: ${p.message}`) ?? [(err as Error).message];
      const missing = problems.map((p) => /dep "(.+)" does not exist and no stage writes it/.exec(p)?.[1]);
      if (attempt > 0 || missing.some((m) => m === undefined)) return { ok: false, problems };
      await writeFiles(root, Object.fromEntries(missing.map((m) => [m as string, ''])));
    }
  }
}

/** Files in valid shape that the loader accepts. */
const VALID: Record<string, string> = {
  minimal: 'stages:\n  a:\n    cmd: echo hi\n',
  'every stage key': [
    'vars:',
    '  - data_dir: data',
    '  - other.yaml',
    'stages:',
    '  train:',
    '    desc: trains',
    '    cmd: [python train.py, echo done]',
    '    wdir: .',
    '    env: { SEED: 0, DEBUG: true, NAME: x }',
    '    deps: [train.py, "${data_dir}/raw.csv"]',
    '    params: [train.lr, { other.yaml: [a.b] }, { all.json: }]',
    '    outs: [models/m, { logs/: { cache: false, persist: true } }, { plain: }]',
    '    metrics: [m.json]',
    '    plots: [{ p.json: { cache: true } }]',
    '    queue: gpu',
    '',
  ].join('\n'),
  'empty optional keys and reserved sections': [
    'vars:',
    'gates:',
    '  champion: { min_auc: 0.8 }',
    'deployments: {}',
    'monitors:',
    'stages:',
    '  a:',
    '    cmd: echo',
    '    deps:',
    '    outs:',
    '    wdir:',
    '',
  ].join('\n'),
  'foreach list, mapping and ${…}': [
    'stages:',
    '  a:',
    '    foreach: [x, y]',
    '    do: { cmd: "echo ${item}" }',
    '  b:',
    '    foreach: { uk: { n: 1 }, us: { n: 2 } }',
    '    do:',
    '      cmd: echo ${key} ${item.n}',
    '  c:',
    '    foreach: ${models}',
    '    do:',
    '      cmd: echo ${item}',
    '',
  ].join('\n'),
  'matrix with a list from params and whole-value ${…}': [
    'stages:',
    '  m:',
    '    matrix:',
    '      model: ${models}',
    '      fold: [1, 2]',
    '    cmd: eval ${item.model} ${item.fold}',
    '    deps: ${inputs}',
    '    outs:',
    '      - reports/${item.model}-${item.fold}.json:',
    '          cache: ${cache}',
    '',
  ].join('\n'),
};

const SUPPORT = {
  'params.yaml': 'train:\n  lr: 0.1\nmodels: [gbdt, logreg]\ninputs: [in.txt]\ncache: false\n',
  'other.yaml': 'a:\n  b: 1\n',
  'all.json': '{"x": 1}',
};

/** Files in the wrong shape: the schema and the loader both refuse them. */
const INVALID: Record<string, string> = {
  'unknown top-level key': 'stage:\n  a:\n    cmd: x\n',
  'unknown stage key': 'stages:\n  a:\n    cmd: x\n    dep: [y]\n',
  'no cmd': 'stages:\n  a:\n    deps: []\n',
  'cmd of the wrong type': 'stages:\n  a:\n    cmd: 3\n',
  'empty cmd list': 'stages:\n  a:\n    cmd: []\n',
  'foreach with cmd beside it': 'stages:\n  a:\n    foreach: [x]\n    cmd: x\n    do: { cmd: x }\n',
  'foreach without do': 'stages:\n  a:\n    foreach: [x]\n',
  'do without foreach': 'stages:\n  a:\n    do: { cmd: x }\n',
  'foreach and matrix': 'stages:\n  a:\n    foreach: [x]\n    matrix: { m: [1] }\n    do: { cmd: x }\n',
  'empty matrix dimension': 'stages:\n  a:\n    matrix: { m: [] }\n    cmd: x\n',
  'output with two paths': 'stages:\n  a:\n    cmd: x\n    outs: [{ a: null, b: null }]\n',
  'unknown output option': 'stages:\n  a:\n    cmd: x\n    outs: [{ a: { cahce: false } }]\n',
  'output option not a boolean': 'stages:\n  a:\n    cmd: x\n    outs: [{ a: { cache: "no" } }]\n',
  'deps not a list': 'stages:\n  a:\n    cmd: x\n    deps: y\n',
  'bad stage name': 'stages:\n  "a b":\n    cmd: x\n',
  'bad env name': 'stages:\n  a:\n    cmd: x\n    env: { "1X": y }\n',
  'params file with an empty key list': 'stages:\n  a:\n    cmd: x\n    params: [{ other.yaml: [] }]\n',
  'gates not a mapping': 'gates: [x]\nstages: {}\n',
  'queue with a space': 'stages:\n  a:\n    cmd: x\n    queue: big gpu\n',
  'queue not a string': 'stages:\n  a:\n    cmd: x\n    queue: [gpu]\n',
};

describe('cairn.yaml JSON Schema', () => {
  it('is a valid draft 2020-12 schema and prints as 2-space JSON', () => {
    assert.equal(PIPELINE_SCHEMA.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.ok(ajv.validateSchema(PIPELINE_SCHEMA), ajv.errorsText(ajv.errors));
    assert.deepEqual(JSON.parse(pipelineSchemaText()), PIPELINE_SCHEMA);
    assert.match(pipelineSchemaText(), /^\{\n {2}"\$schema"/);
  });

  for (const [name, text] of Object.entries(VALID))
    it(`accepts what the loader accepts: ${name}`, async () => {
      assert.deepEqual(await loads(text, SUPPORT), { ok: true });
      assert.equal(schemaErrors(text), '');
    });

  for (const [name, text] of Object.entries(INVALID))
    it(`refuses what the loader refuses: ${name}`, async () => {
      assert.equal((await loads(text, SUPPORT)).ok, false, 'the loader refuses it');
      assert.notEqual(schemaErrors(text), '', 'the schema refuses it');
    });

  it('accepts every cairn.yaml example of docs/pipelines.md, as the loader does', async () => {
    const doc = readFileSync(new URL('../../docs/pipelines.md', import.meta.url), 'utf8');
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    const fileBlock = (name: string) => blocks.find((b) => b.startsWith(`# ${name}\n`)) ?? assert.fail(name);
    const files = {
      'params.yaml': fileBlock('params.yaml'),
      'other.yaml': fileBlock('other.yaml'),
      'tuning.json': '{"depth": 3}',
      'config/paths.yaml': 'paths:\n  features: data/features\n',
      'config/model.json': '{"arch": "mlp", "width": 8}',
    };
    const examples = blocks.filter(
      (b) => b.startsWith('# cairn.yaml\n') || b.startsWith('# yaml-language-server'),
    );
    assert.ok(examples.length >= 6, `found ${examples.length} examples`);
    for (const example of examples) {
      const title = example.split('\n').slice(0, 3).join(' | ');
      assert.deepEqual(await loads(example, files), { ok: true }, title);
      assert.equal(schemaErrors(example), '', title);
    }
  });
});
