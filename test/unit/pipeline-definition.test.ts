// biome-ignore-all lint/suspicious/noTemplateCurlyInString: fixtures are cairn.yaml text with its ${…} syntax.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadPipeline } from '../../src/pipeline/definition/load-pipeline.ts';
import { paramValue, parseParamOverride } from '../../src/pipeline/definition/params-files.ts';
import type { Pipeline } from '../../src/pipeline/pipeline-types.ts';
import { writeFiles } from '../support/cli.ts';
import { tempDir } from '../support/tmp-dir.ts';

async function load(files: Record<string, string>, set?: Record<string, unknown>): Promise<Pipeline> {
  const root = await tempDir('cairn-pipeline-');
  await writeFiles(root, files);
  const pipeline = await loadPipeline(root, set ? { set } : {});
  assert.ok(pipeline, 'cairn.yaml was found');
  return pipeline;
}

/** The problems of an invalid pipeline, as `file:line: message` lines. */
async function problems(files: Record<string, string>, set?: Record<string, unknown>): Promise<string[]> {
  try {
    await load(files, set);
  } catch (err) {
    assert.equal((err as { code?: string }).code, 'INVALID_ARGUMENT', String(err));
    const list = (err as { details?: { problems?: { file: string; line: number; message: string }[] } })
      .details?.problems;
    return list ? list.map((p) => `${p.file}:${p.line}: ${p.message}`) : [(err as Error).message];
  }
  assert.fail('the pipeline loaded, but problems were expected');
}

const stage = (p: Pipeline, name: string) => {
  const s = p.stages.find((x) => x.name === name);
  assert.ok(s, `stage ${name} exists (have ${p.stages.map((x) => x.name).join(', ')})`);
  return s;
};

describe('loadPipeline', () => {
  it('resolves undefined when the workspace has no cairn.yaml', async () => {
    assert.equal(await loadPipeline(await tempDir()), undefined);
  });

  it('reads a stage with every key, with workspace-relative paths and output defaults', async () => {
    const p = await load({
      'params.yaml': 'train:\n  lr: 0.1\n',
      'src/train.py': '',
      'cairn.yaml': [
        'stages:',
        '  train:',
        '    desc: trains the model',
        '    wdir: src',
        '    cmd: [python train.py, echo done]',
        '    env: { SEED: 0, DEBUG: true, NAME: x }',
        '    deps: [train.py]',
        '    outs: [../models/m, { ../logs/: { cache: false, persist: true } }]',
        '    metrics: [../metrics.json, { ../m2.json: { cache: true } }]',
        '    plots: [../plots/roc.json]',
        '',
      ].join('\n'),
      'src/params.yaml': 'epochs: 3\n',
    });
    const s = stage(p, 'train');
    assert.deepEqual(s.cmd, ['python train.py', 'echo done']);
    assert.equal(s.wdir, 'src');
    assert.deepEqual(s.env, { SEED: '0', DEBUG: 'true', NAME: 'x' });
    assert.deepEqual(s.deps, ['src/train.py']);
    assert.deepEqual(s.outs, [
      { path: 'models/m', cache: true, persist: false },
      { path: 'logs', cache: false, persist: true },
    ]);
    assert.deepEqual(s.metrics, [
      { path: 'metrics.json', cache: false, persist: false },
      { path: 'm2.json', cache: true, persist: false },
    ]);
    assert.deepEqual(s.plots, [{ path: 'plots/roc.json', cache: false, persist: false }]);
    assert.deepEqual(s.source, { file: 'cairn.yaml', line: 2 });
  });

  it('resolves YAML anchors and merge keys, keeping the lines of the stage that uses them', async () => {
    const p = await load({
      'cairn.yaml': [
        'stages:',
        '  a: &base',
        '    cmd: echo a',
        '    env: { A: "1" }',
        '  b:',
        '    <<: *base',
        '    cmd: echo b',
        '    deps: [nope]',
        '',
      ].join('\n'),
    }).catch((err: Error) => err);
    assert.ok(p instanceof Error);
    assert.equal(p.message, 'cairn.yaml:8: stage "b": dep "nope" does not exist and no stage writes it');
    const ok = await load({
      'cairn.yaml':
        'stages:\n  a: &base\n    cmd: echo a\n    env: { A: "1" }\n  b:\n    <<: *base\n    cmd: echo b\n',
    });
    assert.deepEqual(stage(ok, 'b').cmd, ['echo b']);
    assert.deepEqual(stage(ok, 'b').env, { A: '1' });
    assert.equal(stage(ok, 'b').source.line, 5);
  });

  it('accepts reserved top-level sections and an empty file', async () => {
    const p = await load({
      'cairn.yaml':
        'gates:\n  champion: { data: t.csv, target: y, rules: [f1 >= 0.5] }\ndeployments: {}\nmonitors:\nstages:\n  a:\n    cmd: echo\n',
    });
    assert.deepEqual(
      p.stages.map((s) => s.name),
      ['a'],
    );
    assert.equal((await load({ 'cairn.yaml': '' })).stages.length, 0);
  });
});

describe('interpolation', () => {
  const params =
    'train:\n  lr: 0.01\n  epochs: 10\n  layers: [64, 32]\n  opts: { a: 1 }\n  flag: true\nname: churn\n';

  it('replaces ${…} from params.yaml and vars, nested keys and list indices included', async () => {
    const p = await load({
      'params.yaml': params,
      'cairn.yaml': [
        'vars:',
        '  - data_dir: data',
        '    nested: { deep: { value: v } }',
        'stages:',
        '  train:',
        '    cmd: run --lr ${train.lr} --n ${train.epochs} --l0 ${train.layers.0} --l1 ${train.layers[1]} ${ name } ${nested.deep.value} ${train.flag}',
        '    outs: ["${data_dir}/out-${name}"]',
        '',
      ].join('\n'),
    });
    const s = stage(p, 'train');
    assert.deepEqual(s.cmd, ['run --lr 0.01 --n 10 --l0 64 --l1 32 churn v true']);
    assert.deepEqual(
      s.outs.map((o) => o.path),
      ['data/out-churn'],
    );
  });

  it('keeps the type of a whole-value ${x}: lists, mappings, numbers, booleans', async () => {
    const p = await load({
      'params.yaml': 'inputs: [a.txt, b.txt]\nenv: { X: 1 }\ncache: false\ncmds: [one, two]\n',
      'a.txt': '',
      'b.txt': '',
      'cairn.yaml':
        'stages:\n  s:\n    cmd: ${cmds}\n    deps: ${inputs}\n    env: ${env}\n    outs:\n      - o:\n          cache: ${cache}\n',
    });
    const s = stage(p, 's');
    assert.deepEqual(s.cmd, ['one', 'two']);
    assert.deepEqual(s.deps, ['a.txt', 'b.txt']);
    assert.deepEqual(s.env, { X: '1' });
    assert.deepEqual(s.outs, [{ path: 'o', cache: false, persist: false }]);
  });

  it('writes \\${ as a literal ${', async () => {
    const p = await load({ 'cairn.yaml': 'stages:\n  s:\n    cmd: echo \\${HOME} $USER\n' });
    assert.deepEqual(stage(p, 's').cmd, ['echo ${HOME} $USER']);
  });

  it('names the file, line and closest key of an undefined ${…}', async () => {
    assert.deepEqual(
      await problems({
        'params.yaml': params,
        'cairn.yaml': 'stages:\n  train:\n    cmd: >-\n      run\n      ${train.lrr}\n',
      }),
      [
        'cairn.yaml:3: stage "train": ${train.lrr}: "train.lrr" is not defined in params.yaml or vars (did you mean "train.lr"?)',
      ],
    );
    assert.deepEqual(
      await problems({
        'cairn.yaml': 'vars:\n  - a: 1\nstages:\n  s:\n    cmd: echo\n    deps:\n      - x\n      - ${b}\n',
        x: '',
      }),
      ['cairn.yaml:8: stage "s": ${b}: "b" is not defined in params.yaml or vars'],
    );
  });

  it('refuses a list or mapping inside text, an unclosed ${ and an expression that is not a name', async () => {
    const out = await problems({
      'params.yaml': params,
      'cairn.yaml':
        'stages:\n  s:\n    cmd: echo ${train.layers}\n  t:\n    cmd: echo ${oops\n  u:\n    cmd: echo ${a + b}\n',
    });
    assert.equal(out.length, 3);
    assert.match(
      out[0] ?? '',
      /^cairn\.yaml:3: stage "s": \$\{train\.layers\} is a list and cannot be put inside text/,
    );
    assert.match(out[1] ?? '', /^cairn\.yaml:5: stage "t": unclosed "\$\{"/);
    assert.match(out[2] ?? '', /^cairn\.yaml:7: stage "u": \$\{a \+ b\} is not a name/);
  });

  it('makes params read through ${…} params of the stage, unless a listed key covers them', async () => {
    const p = await load({
      'params.yaml': params,
      'cairn.yaml':
        'vars:\n  - inline: 1\nstages:\n  a:\n    cmd: run ${train.lr} ${name} ${inline}\n  b:\n    cmd: run ${train.lr} ${train.epochs}\n    params: [train]\n',
    });
    assert.deepEqual(stage(p, 'a').params, [{ file: 'params.yaml', keys: ['train.lr', 'name'] }]);
    assert.deepEqual(stage(p, 'b').params, [{ file: 'params.yaml', keys: ['train'] }]);
  });
});

describe('foreach and matrix', () => {
  it('expands a foreach list into <stage>@<item>, with ${item} and ${key} (the position)', async () => {
    const p = await load({
      'cairn.yaml':
        'stages:\n  shard:\n    foreach: [a, b, 3]\n    do:\n      cmd: echo ${item} ${key}\n      outs: ["out/${item}.txt"]\n',
    });
    assert.deepEqual(
      p.stages.map((s) => [s.name, s.cmd[0], s.outs[0]?.path, s.source.line]),
      [
        ['shard@3', 'echo 3 2', 'out/3.txt', 2],
        ['shard@a', 'echo a 0', 'out/a.txt', 2],
        ['shard@b', 'echo b 1', 'out/b.txt', 2],
      ],
    );
  });

  it('names list items that are mappings by position, and mapping items by key', async () => {
    const p = await load({
      'cairn.yaml': [
        'stages:',
        '  fit:',
        '    foreach:',
        '      - { name: small, depth: 2 }',
        '      - { name: large, depth: 8 }',
        '    do:',
        '      cmd: fit ${item.depth}',
        '      outs: ["models/${item.name}"]',
        '  train:',
        '    foreach:',
        '      uk: { epochs: 3 }',
        '      us: { epochs: 10 }',
        '    do:',
        '      cmd: train ${key} ${item.epochs}',
        '',
      ].join('\n'),
    });
    assert.deepEqual(stage(p, 'fit@0').cmd, ['fit 2']);
    assert.deepEqual(stage(p, 'fit@1').outs[0]?.path, 'models/large');
    assert.deepEqual(stage(p, 'train@uk').cmd, ['train uk 3']);
    assert.deepEqual(stage(p, 'train@us').cmd, ['train us 10']);
  });

  it('takes a foreach collection or matrix dimension from params', async () => {
    const p = await load({
      'params.yaml': 'models: [gbdt, logreg]\nregions: { eu: 1, us: 2 }\n',
      'cairn.yaml':
        'stages:\n  a:\n    foreach: ${regions}\n    do:\n      cmd: echo ${key}=${item}\n  b:\n    matrix:\n      model: ${models}\n    cmd: echo ${item.model}\n',
    });
    assert.deepEqual(
      p.stages.map((s) => `${s.name}: ${s.cmd[0]}`),
      ['a@eu: echo eu=1', 'a@us: echo us=2', 'b@gbdt: echo gbdt', 'b@logreg: echo logreg'],
    );
  });

  it('expands a matrix into every combination named <stage>@<v1>-<v2>', async () => {
    const p = await load({
      'cairn.yaml': [
        'stages:',
        '  evaluate:',
        '    matrix: { model: [gbdt, logreg], fold: [1, 2], cfg: [{ x: 1 }] }',
        '    cmd: eval ${item.model} ${item.fold} ${item.cfg.x} ${key}',
        '    outs:',
        '      - reports/${item.model}-${item.fold}.json',
        '',
      ].join('\n'),
    });
    assert.deepEqual(
      p.stages.map((s) => [s.name, s.cmd[0], s.outs[0]?.path]),
      [
        ['evaluate@gbdt-1-cfg0', 'eval gbdt 1 1 gbdt-1-cfg0', 'reports/gbdt-1.json'],
        ['evaluate@gbdt-2-cfg0', 'eval gbdt 2 1 gbdt-2-cfg0', 'reports/gbdt-2.json'],
        ['evaluate@logreg-1-cfg0', 'eval logreg 1 1 logreg-1-cfg0', 'reports/logreg-1.json'],
        ['evaluate@logreg-2-cfg0', 'eval logreg 2 1 logreg-2-cfg0', 'reports/logreg-2.json'],
      ],
    );
  });

  it('interpolates values inside foreach and matrix lists', async () => {
    const p = await load({
      'params.yaml': 'best: gbdt\n',
      'cairn.yaml':
        'stages:\n  m:\n    matrix:\n      model:\n        - ${best}\n        - logreg\n    cmd: echo ${item.model}\n',
    });
    assert.deepEqual(
      p.stages.map((s) => s.name),
      ['m@gbdt', 'm@logreg'],
    );
  });

  it('reports structural mistakes of foreach and matrix at their lines', async () => {
    const out = await problems({
      'cairn.yaml': [
        'stages:',
        '  a:',
        '    foreach: [x]',
        '    cmd: echo',
        '    do: { cmd: echo }',
        '  b:',
        '    foreach: [x]',
        '  c:',
        '    matrix: { m: [] }',
        '    cmd: echo',
        '  d:',
        '    do: { cmd: echo }',
        '  e:',
        '    foreach: 3',
        '    do: { cmd: echo }',
        '  f:',
        '    foreach: [x]',
        '    matrix: { m: [1] }',
        '    do: { cmd: echo }',
        '',
      ].join('\n'),
    });
    assert.deepEqual(out, [
      'cairn.yaml:4: stage "a": a foreach stage has only foreach and do; move "cmd" under do',
      'cairn.yaml:7: stage "b": foreach needs a "do" mapping with the stage to repeat',
      'cairn.yaml:9: stage "c": matrix dimension "m" must be a non-empty list',
      'cairn.yaml:12: stage "d": do goes with foreach; add foreach or move the keys up',
      'cairn.yaml:14: stage "e": foreach must be a list, a mapping, or ${…} naming one',
      'cairn.yaml:18: stage "f": use either foreach or matrix, not both',
    ]);
  });

  it('refuses items that make an invalid or a duplicate stage name', async () => {
    const out = await problems({
      'cairn.yaml':
        'stages:\n  a:\n    foreach:\n      - data/x.csv\n    do: { cmd: echo }\n  b:\n    foreach: [1, "1"]\n    do: { cmd: echo }\n',
    });
    assert.deepEqual(out, [
      'cairn.yaml:4: stage "a": the item "data/x.csv" would name a stage "a@data/x.csv", but stage names use only letters, digits, "_", "-" and "."; use a mapping whose keys name the stages',
      'cairn.yaml:7: stage "b": two items make the same stage name "b@1"',
    ]);
  });

  it('reports a mistake in a repeated template once, not once per expanded stage', async () => {
    const out = await problems({
      'cairn.yaml': 'stages:\n  m:\n    matrix: { x: [1, 2, 3] }\n    cmd: echo\n    depz: [a]\n',
    });
    assert.deepEqual(out, ['cairn.yaml:5: stage "m@1": unknown key "depz" (did you mean "deps"?)']);
  });
});

describe('DAG', () => {
  it('orders stages topologically with ties by name, and lists each upstream', async () => {
    const p = await load({
      'raw.csv': '',
      'cairn.yaml': [
        'stages:',
        '  report:',
        '    cmd: r',
        '    deps: [models/b, metrics]',
        '  zeta:',
        '    cmd: z',
        '    deps: [raw.csv]',
        '    outs: [data]',
        '  alpha:',
        '    cmd: a',
        '    deps: [data/part]', // inside zeta's output directory
        '    outs: [models/a]',
        '  beta:',
        '    cmd: b',
        '    deps: [data]',
        '    outs: [models/b]',
        '    metrics: [metrics/b.json]',
        '  models:',
        '    cmd: m',
        '    deps: [models]', // a directory holding alpha's and beta's outputs
        '    outs: [summary.txt]',
        '',
      ].join('\n'),
    });
    assert.deepEqual(
      p.stages.map((s) => s.name),
      ['zeta', 'alpha', 'beta', 'models', 'report'],
    );
    assert.deepEqual(Object.fromEntries(p.upstream), {
      zeta: [],
      alpha: ['zeta'],
      beta: ['zeta'],
      models: ['alpha', 'beta'],
      report: ['beta'],
    });
  });

  it('names the stages of a cycle', async () => {
    const out = await problems({
      'cairn.yaml':
        'stages:\n  a:\n    cmd: a\n    deps: [c.txt]\n    outs: [a.txt]\n  b:\n    cmd: b\n    deps: [a.txt]\n    outs: [b.txt]\n  c:\n    cmd: c\n    deps: [b.txt]\n    outs: [c.txt]\n',
    });
    assert.deepEqual(out, [
      'cairn.yaml:2: dependency cycle: a -> b -> c -> a (each stage uses an output of the one before it); a stage cannot depend on its own results',
    ]);
  });
});

describe('params and overrides', () => {
  const files = {
    'params.yaml': 'train:\n  lr: 0.1\n  layers: [64, 32]\nseed: 1\n',
    'conf/model.yaml': 'depth: 3\nwidth: 8\n',
    'conf/all.json': '{"a": 1, "b": {"c": 2}}',
    'cairn.yaml': [
      'stages:',
      '  train:',
      '    cmd: python train.py --lr ${train.lr} --seed ${seed}',
      '    params:',
      '      - train',
      '      - conf/model.yaml: [depth]',
      '      - conf/all.json:',
      '',
    ].join('\n'),
  };

  it('lists params per file, a subtree key as it is and a whole file as its top-level keys', async () => {
    const p = await load(files);
    assert.deepEqual(stage(p, 'train').params, [
      { file: 'params.yaml', keys: ['train', 'seed'] },
      { file: 'conf/model.yaml', keys: ['depth'] },
      { file: 'conf/all.json', keys: ['a', 'b'] },
    ]);
    assert.deepEqual(p.params.get('conf/all.json'), { a: 1, b: { c: 2 } });
    assert.equal(paramValue(p.params.get('params.yaml'), 'train.layers.1'), 32);
    assert.equal(paramValue(p.params.get('params.yaml'), 'train.layers[0]'), 64);
    assert.equal(paramValue(p.params.get('params.yaml'), 'train.momentum'), undefined);
  });

  it('applies overrides before interpolation and to the params content', async () => {
    const p = await load(files, { 'train.lr': 0.001, seed: 7, 'conf/model.yaml:depth': 5 });
    assert.deepEqual(stage(p, 'train').cmd, ['python train.py --lr 0.001 --seed 7']);
    assert.deepEqual(p.params.get('params.yaml'), { train: { lr: 0.001, layers: [64, 32] }, seed: 7 });
    assert.equal(paramValue(p.params.get('conf/model.yaml'), 'depth'), 5);
  });

  it('refuses an override of a key or file that does not exist', async () => {
    await assert.rejects(load(files, { 'train.lrr': 1 }), {
      code: 'INVALID_ARGUMENT',
      message: '--set train.lrr: params.yaml has no key "train.lrr" (did you mean "train.lr"?)',
    });
    await assert.rejects(load(files, { 'nope.yaml:a': 1 }), { message: '--set a: nope.yaml does not exist' });
  });

  it('parses --set values as YAML', () => {
    assert.deepEqual(parseParamOverride('train.lr=0.01'), ['train.lr', 0.01]);
    assert.deepEqual(parseParamOverride('name=abc'), ['name', 'abc']);
    assert.deepEqual(parseParamOverride('flags=[1, 2]'), ['flags', [1, 2]]);
    assert.deepEqual(parseParamOverride('on=true'), ['on', true]);
    assert.deepEqual(parseParamOverride('eq=a=b'), ['eq', 'a=b']);
    assert.throws(() => parseParamOverride('novalue'), { code: 'INVALID_ARGUMENT' });
  });

  it('reads vars files, some keys of a file, and refuses a name defined twice', async () => {
    const p = await load({
      'params.yaml': 'seed: 1\n',
      'conf/paths.yaml': 'paths: { out: build }\n',
      'conf/model.json': '{"arch": "mlp", "other": 1}',
      'cairn.yaml':
        'vars:\n  - conf/paths.yaml\n  - conf/model.json:arch\nstages:\n  s:\n    cmd: echo ${arch} ${seed}\n    outs:\n      - ${paths.out}\n',
    });
    assert.deepEqual(stage(p, 's').cmd, ['echo mlp 1']);
    assert.deepEqual(stage(p, 's').params, [
      { file: 'conf/model.json', keys: ['arch'] },
      { file: 'params.yaml', keys: ['seed'] },
      { file: 'conf/paths.yaml', keys: ['paths.out'] },
    ]);
    assert.deepEqual(
      await problems({
        'params.yaml': 'seed: 1\n',
        'cairn.yaml': 'vars:\n  - other: 2\n  - seed: 2\n  - missing.yaml\nstages: {}\n',
      }),
      [
        'cairn.yaml:3: vars: "seed" is defined both here and in params.yaml; give it one definition',
        'cairn.yaml:4: vars file "missing.yaml" does not exist',
      ],
    );
  });
});
