// biome-ignore-all lint/suspicious/noTemplateCurlyInString: fixtures are cairn.yaml text with its ${…} syntax.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadPipeline } from '../../src/pipeline/definition/load-pipeline.ts';
import { writeFiles } from '../support/cli.ts';
import { tempDir } from '../support/tmp-dir.ts';

/** Loads a workspace made of `files` and returns its problems as `file:line: message` lines. */
async function problems(files: Record<string, string>): Promise<string[]> {
  const root = await tempDir('cairn-pipeline-');
  await writeFiles(root, files);
  try {
    await loadPipeline(root);
  } catch (err) {
    assert.equal((err as { code?: string }).code, 'INVALID_ARGUMENT', String(err));
    const list = (err as { details?: { problems?: { file: string; line: number; message: string }[] } })
      .details?.problems;
    assert.ok(list, `problems in the details of: ${(err as Error).message}`);
    return list.map((p) => `${p.file}:${p.line}: ${p.message}`);
  }
  assert.fail('the pipeline loaded, but problems were expected');
}

/** A cairn.yaml from lines (line 1 is the first element). */
const yaml = (...lines: string[]) => `${lines.join('\n')}\n`;

describe('pipeline validation', () => {
  it('reports YAML syntax errors and duplicate keys with their line', async () => {
    assert.deepEqual(await problems({ 'cairn.yaml': yaml('stages:', '  a:', '    cmd: [echo', '  b: 1') }), [
      'cairn.yaml:4: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
    const dup = await problems({ 'cairn.yaml': yaml('stages:', '  a:', '    cmd: x', '  a:', '    cmd: y') });
    assert.deepEqual(dup, ['cairn.yaml:4: invalid YAML: Map keys must be unique']);
  });

  it('explains that ${…} in a [ ] list needs quotes', async () => {
    assert.deepEqual(
      await problems({ 'cairn.yaml': yaml('stages:', '  a:', '    cmd: x', '    deps: [models/${m}]') }),
      [
        'cairn.yaml:4: invalid YAML: Missing , or : between flow sequence items (inside [ ] lists, the braces of ${…} are YAML syntax: quote the item, "a/${x}", or write one item per line)',
      ],
    );
  });

  it('refuses unknown keys with a suggestion, at top level, in a stage, in output options', async () => {
    assert.deepEqual(
      await problems({
        'cairn.yaml': yaml(
          'stage:',
          '  a: 1',
          'gates: {}',
          'stages:',
          '  a:',
          '    cmd: echo',
          '    dpes: [x]',
          '    frozen: true',
          '    outs:',
          '      - o:',
          '          cahce: false',
        ),
      }),
      [
        'cairn.yaml:1: unknown top-level key "stage" (did you mean "stages"?)',
        'cairn.yaml:7: stage "a": unknown key "dpes" (did you mean "deps"?)',
        'cairn.yaml:8: stage "a": unknown key "frozen"',
        'cairn.yaml:11: stage "a": outs o: unknown option "cahce" (did you mean "cache"?)',
      ],
    );
  });

  it('refuses values of the wrong type, each at its own line', async () => {
    assert.deepEqual(
      await problems({
        'x.txt': '',
        'cairn.yaml': yaml(
          'vars:', // 1
          'monitors: [x]',
          'stages:',
          '  a:',
          '    cmd: 3', // 5
          '    deps: x.txt',
          '    env: [A]',
          '    desc: [x]',
          '    params: [3]',
          '    wdir: [x]', // 10
          '  b:',
          '    cmd: []',
          '    outs:',
          '      - { o1: null, o2: null }',
          '      - o3: { cache: "no" }', // 15
          '      - o4: yes-please',
          '    env: { "1BAD": x, GOOD: null }',
          '  c:',
          '    deps: [x.txt]',
          '  d: echo', // 20
        ),
      }),
      [
        'cairn.yaml:2: monitors must be a mapping, not a list',
        'cairn.yaml:5: stage "a": cmd must be a non-empty string or a list of them, not 3',
        'cairn.yaml:6: stage "a": deps must be a list, not the string "x.txt"',
        'cairn.yaml:7: stage "a": env must be a mapping of variable names to values',
        'cairn.yaml:8: stage "a": desc must be a string, not a list',
        'cairn.yaml:9: stage "a": each entry of params must be a key of params.yaml or a mapping of a file to its keys',
        'cairn.yaml:10: stage "a": wdir must be a directory path, not a list',
        'cairn.yaml:12: stage "b": cmd is an empty list',
        'cairn.yaml:14: stage "b": each entry of outs must be a path, or a mapping of one path to its options (cache, persist)',
        'cairn.yaml:15: stage "b": outs o3: cache must be true or false, not the string "no"',
        'cairn.yaml:16: stage "b": outs o4: the options must be a mapping (cache, persist), not the string "yes-please"',
        'cairn.yaml:17: stage "b": env: "1BAD" is not a valid environment variable name',
        'cairn.yaml:17: stage "b": env: GOOD must be a string, number or boolean, not empty',
        'cairn.yaml:18: stage "c": no cmd: give the command to run (a string, or a list run in order)',
        'cairn.yaml:20: stage "d" must be a mapping with at least a cmd, not the string "echo"',
      ],
    );
  });

  it('reports mistakes in vars first and alone, as every ${…} reading them would fail too', async () => {
    assert.deepEqual(
      await problems({
        'cairn.yaml': yaml('vars: { a: 1 }', 'stages:', '  s:', '    cmd: echo ${a}', '    typo: 1'),
      }),
      ['cairn.yaml:1: vars must be a list of mappings or file names, not a mapping'],
    );
    assert.deepEqual(
      await problems({
        'cairn.yaml': yaml('vars:', '  - [1]', '  - gone.yaml', 'stages:', '  s:', '    cmd: echo ${a}'),
      }),
      [
        'cairn.yaml:2: each vars entry must be a mapping or a file name, not a list',
        'cairn.yaml:3: vars file "gone.yaml" does not exist',
      ],
    );
  });

  it('refuses invalid stage names', async () => {
    assert.deepEqual(
      await problems({
        'cairn.yaml': yaml(
          'stages:',
          '  "train model":',
          '    cmd: x',
          '  a@b:',
          '    cmd: x',
          '  ok_1.v-2:',
          '    cmd: x',
        ),
      }),
      [
        'cairn.yaml:2: invalid stage name "train model": use only letters, digits, "_", "-" and "."',
        'cairn.yaml:4: invalid stage name "a@b": "@" is kept for stages made by foreach and matrix',
      ],
    );
  });

  it('refuses absolute paths, paths out of the workspace and outputs in .cairn or .git', async () => {
    assert.deepEqual(
      await problems({
        'cairn.yaml': yaml(
          'stages:',
          '  a:',
          '    cmd: x',
          '    wdir: sub',
          '    deps:',
          '      - /etc/passwd',
          '      - ../../up.txt',
          '      - ..',
          '    outs:',
          '      - ../.cairn/cache/x',
          '      - ../.git',
          '  b:',
          '    cmd: x',
          '    wdir: ../elsewhere',
          '    params:',
          '      - ../p.yaml: [k]',
        ),
      }),
      [
        'cairn.yaml:6: stage "a": deps: "/etc/passwd" is an absolute path; write it relative to the workspace',
        'cairn.yaml:7: stage "a": deps: "../../up.txt" points outside the workspace (through "..")',
        'cairn.yaml:8: stage "a": deps: ".." is the whole workspace; name a file or directory in it',
        'cairn.yaml:10: stage "a": outs: ".cairn/cache/x" is inside .cairn/, which Cairn and git manage',
        'cairn.yaml:11: stage "a": outs: ".git" is inside .git/, which Cairn and git manage',
        'cairn.yaml:14: stage "b": wdir: "../elsewhere" points outside the workspace (through "..")',
        'cairn.yaml:16: stage "b": params: "../p.yaml" points outside the workspace (through "..")',
      ],
    );
  });

  it('refuses two stages writing the same path or one inside the other, and an output listed twice', async () => {
    assert.deepEqual(
      await problems({
        'cairn.yaml': yaml(
          'stages:',
          '  a:',
          '    cmd: x',
          '    outs: [data, models/m]',
          '  b:',
          '    cmd: x',
          '    outs:',
          '      - data/part',
          '    metrics: [models/m]',
          '  c:',
          '    cmd: x',
          '    outs: [reports]',
          '    plots: [reports]',
          '  d:',
          '    cmd: x',
          '    outs: [.]',
        ),
      }),
      [
        'cairn.yaml:8: stage "b": output "data/part" is inside "data", an output of stage "a" (cairn.yaml:4); each path can be written by one stage only',
        'cairn.yaml:9: stage "b": output "models/m" is also an output of stage "a" (cairn.yaml:4); each path can be written by one stage only',
        'cairn.yaml:13: stage "c": output "reports" is listed twice (also at cairn.yaml:12)',
        'cairn.yaml:16: stage "d": outs: "." is the whole workspace; name a file or directory in it',
      ],
    );
  });

  it('refuses a stage whose dep is its own output', async () => {
    assert.deepEqual(
      await problems({
        'cairn.yaml': yaml(
          'stages:',
          '  a:',
          '    cmd: x',
          '    deps: [data/out.csv, cache]',
          '    outs: [data/out.csv, cache/x]',
        ),
      }),
      [
        'cairn.yaml:4: stage "a": "data/out.csv" is both a dep and an output of this stage',
        'cairn.yaml:4: stage "a": dep "cache" overlaps its own output "cache/x"',
      ],
    );
  });

  it('refuses a dep that neither exists nor comes from a stage', async () => {
    assert.deepEqual(
      await problems({
        'exists.txt': '',
        'tracked.csv.cairn': 'hash: sha256:00\n',
        'images.cairn': 'hash: sha256:00\n',
        'cairn.yaml': yaml(
          'stages:',
          '  make:',
          '    cmd: x',
          '    outs: [build]',
          '  use:',
          '    cmd: x',
          '    deps:',
          '      - exists.txt',
          '      - build/lib/a.o', // inside another stage's output
          '      - tracked.csv', // tracked with cairn add, not checked out
          '      - images/cat.png', // inside a tracked directory
          '      - missing.txt',
        ),
      }),
      ['cairn.yaml:12: stage "use": dep "missing.txt" does not exist and no stage writes it'],
    );
  });

  it('refuses params keys missing from their file and params files that do not exist', async () => {
    assert.deepEqual(
      await problems({
        'params.yaml': 'train:\n  lr: 0.1\n',
        'conf/p.toml': 'a = 1\n',
        'cairn.yaml': yaml(
          'stages:',
          '  a:',
          '    cmd: x',
          '    params:',
          '      - train.lrr',
          '      - other.yaml: [k]',
          '      - conf/p.toml:',
          '      - params.yaml: []',
          '  b:',
          '    cmd: x',
          '    wdir: sub',
          '    params: [train.lr]',
        ),
      }),
      [
        'cairn.yaml:5: stage "a": params.yaml has no key "train.lrr" (did you mean "train.lr"?)',
        'cairn.yaml:6: stage "a": params file "other.yaml" does not exist',
        'cairn.yaml:7: stage "a": params file "conf/p.toml" must be YAML or JSON (.yaml, .yml, .json)',
        'cairn.yaml:8: stage "a": params params.yaml: list the keys to depend on, or leave it empty (`params.yaml:`) to depend on the whole file',
        'cairn.yaml:12: stage "b": params file "sub/params.yaml" does not exist',
      ],
    );
  });

  it('reports a broken params file at its own line, alone', async () => {
    assert.deepEqual(
      await problems({
        'params.yaml': 'train:\n  lr: 0.1\n  lr: 0.2\n',
        'cairn.yaml': yaml('stages:', '  a:', '    cmd: run ${train.lr}', '    typo: 1'),
      }),
      ['params.yaml:3: invalid YAML: Map keys must be unique'],
    );
    assert.deepEqual(await problems({ 'params.yaml': '- 1\n- 2\n', 'cairn.yaml': yaml('stages: {}') }), [
      'params.yaml:1: a params file must be a mapping of names to values',
    ]);
  });

  it('throws one error whose message lists every problem on its own line', async () => {
    const root = await tempDir('cairn-pipeline-');
    await writeFiles(root, {
      'cairn.yaml': yaml('stages:', '  a:', '    cmd: x', '    dep: [y]', '  b:', '    outs: [z]'),
    });
    await assert.rejects(loadPipeline(root), {
      code: 'INVALID_ARGUMENT',
      message: [
        'cairn.yaml has 2 problems:',
        '  cairn.yaml:4: stage "a": unknown key "dep" (did you mean "deps"?)',
        '  cairn.yaml:5: stage "b": no cmd: give the command to run (a string, or a list run in order)',
      ].join('\n'),
    });
    await writeFiles(root, { 'cairn.yaml': yaml('stages:', '  a:', '    cmd: x', '    dep: [y]') });
    await assert.rejects(loadPipeline(root), {
      message: 'cairn.yaml:4: stage "a": unknown key "dep" (did you mean "deps"?)',
    });
  });
});
