import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { benchStages, pipelineYaml } from '../../bench/pipeline/pipeline-spec.ts';
import type { Digest } from '../../src/kernel/hashing.ts';
import { parseBlockYaml } from '../../src/kernel/yaml/block-yaml.ts';
import { parseWithYamlPackage, toPlain } from '../../src/pipeline/definition/parse-yaml-with-lines.ts';
import { PipelineProblems } from '../../src/pipeline/definition/pipeline-problems.ts';
import { formatLockFile, LockWriter, parseLockFile } from '../../src/pipeline/lock/lock-file.ts';
import type { LockEntry, LockFile } from '../../src/pipeline/pipeline-types.ts';
import { tempDir } from '../support/tmp-dir.ts';

const HASH = `sha256:${'ab'.repeat(32)}` as Digest;

function entry(cmd: string[], params: Record<string, unknown> = {}): LockEntry {
  return {
    cmd,
    deps: [
      { path: 'data/dir', hash: HASH, size: 12, files: 3 },
      { path: 'data/raw.csv', hash: HASH, size: 48_213 },
    ],
    params: { 'params.yaml': params },
    outs: [
      { path: 'metrics/train.json', hash: HASH, size: 68, cache: false },
      { path: 'models/model.pkl', hash: HASH, size: 5120, cache: true },
    ],
  };
}

/** The fast reader either declines or gives exactly what the `yaml` package gives, lines included. */
function agrees(text: string): boolean {
  const fast = parseBlockYaml(text);
  if (fast === undefined) return false;
  assert.deepEqual(fast, parseWithYamlPackage(text, 'x.yaml', new PipelineProblems()), text);
  assert.deepEqual(toPlain(fast), parse(text), text);
  return true;
}

const TRICKY_STRINGS = [
  'python train.py --lr 0.1',
  "awk -F, 'NR > 1 { s += $2 } END { print s }' data/x.csv > out/y.txt",
  'echo "a: b" > c.txt',
  'echo a # not a comment',
  'echo a#b',
  '- starts with a dash',
  '[bracketed]',
  '{braced}',
  '&anchor',
  '*alias',
  '!tag',
  '@at',
  '%percent',
  '`tick`',
  "it's",
  'say "hi"',
  'back\\slash',
  'unicode é ✓ 漢字',
  '',
  ' leading space',
  'trailing space ',
  'tab\there',
  'two\nlines',
  'true',
  'False',
  'null',
  '~',
  'yes',
  '123',
  '-7',
  '0x1F',
  '0o17',
  '.5',
  '1e5',
  '.inf',
  '-.INF',
  '.nan',
  '1_000',
  '+1',
  'ends with colon:',
  'colon:inside',
  '? question',
  '---',
  '...',
  '\u00a0nbsp',
];

const TRICKY_VALUES: unknown[] = [
  0.1,
  1e-5,
  -3,
  1.5e300,
  0,
  12_345_678_901_234,
  2 ** 60,
  true,
  false,
  null,
  [],
  {},
  [64, 32],
  { a: { b: [1, 'x'] } },
  ...TRICKY_STRINGS,
];

describe('fast block YAML reader (cairn.lock, cairn.yaml, params.yaml)', () => {
  it('reads the locks Cairn writes as the yaml package does, tricky values included', () => {
    const lock: LockFile = { schema: 1, stages: {} };
    for (let i = 0; i < 50; i++) lock.stages[`stage_${i}`] = entry([`python stage.py --n ${i}`], { n: i });
    const plain = formatLockFile(lock);
    assert.ok(agrees(plain), 'an ordinary lock takes the fast path');
    assert.deepEqual(parseLockFile(plain), lock);

    let fast = 0;
    TRICKY_STRINGS.forEach((s, i) => {
      const one: LockFile = {
        schema: 1,
        stages: { [`s${i}`]: entry([s, `${s} again`], { [`key.${i}`]: s }) },
      };
      const text = formatLockFile(one);
      if (agrees(text)) fast++;
      assert.deepEqual(parseLockFile(text), one, JSON.stringify(s));
    });
    TRICKY_VALUES.forEach((v, i) => {
      const one: LockFile = { schema: 1, stages: { 'evaluate@gbdt-1': entry(['x'], { [`p${i}`]: v }) } };
      const text = formatLockFile(one);
      if (agrees(text)) fast++;
      assert.deepEqual(parseLockFile(text), one, JSON.stringify(v));
    });
    assert.ok(fast > TRICKY_STRINGS.length, `${fast} of the tricky locks took the fast path`);
  });

  it('declines what it does not fully understand, leaving it to the yaml package', () => {
    const declined = [
      'a: 1\n  continued: 2\n',
      'a: plain\n  continued\n',
      'a: &x 1\nb: *x\n',
      'a: {b: 1}\n',
      'a:  1\n',
      'a : 1\n',
      'a: 1\na: 2\n',
      '\uFEFFa: 1\n',
      '---\na: 1\n',
      'a: |\n  text\n',
      'a: "\\x41"\n',
      "a: 'open\n",
      'a:\n\t- 1\n',
      '- - 1\n',
      '? a\n: 1\n',
      'a: 0x10\n',
      'a: 1E5\n',
      'a: .5\n',
      '__proto__: 1\n',
      '1: one\n',
      'a:\n  - 1\n - 2\n',
    ];
    // Not YAML at all: the full reader must report these, with a line, rather than read them.
    const invalid = new Set([
      'a: 1\n  continued: 2\n',
      'a: 1\na: 2\n',
      "a: 'open\n",
      'a:\n\t- 1\n',
      'a:\n  - 1\n - 2\n',
    ]);
    for (const text of declined) {
      const what = JSON.stringify(text);
      assert.equal(parseBlockYaml(text), undefined, what);
      // What the fast reader declines, the full reader handles: the yaml package's value, lines kept.
      const problems = new PipelineProblems();
      const full = parseWithYamlPackage(text, 'x.yaml', problems);
      if (invalid.has(text)) {
        assert.throws(() => parse(text), { name: 'YAMLParseError' }, what);
        assert.equal(full, undefined, what);
        assert.equal(problems.list.length, 1, what);
        assert.match(problems.list[0]?.message ?? '', /^invalid YAML: /, what);
        assert.ok((problems.list[0]?.line ?? 0) >= 1, what);
      } else {
        assert.equal(problems.size, 0, `${what}: ${problems.list.map((p) => p.message).join('; ')}`);
        assert.ok(full, what);
        assert.deepEqual(toPlain(full), parse(text), what);
      }
    }
    const accepted = [
      'a: 1\nb:\n  - x\n  - y: 2\n    z: null\nc: {}\n',
      'a:\n- 1\n- 2\nb: 3\n',
      '# header\n\nschema: 1\r\nstages: {}\r\n',
      "k: 'it''s'\nj: \"tab\\tand \\u00e9\"\n",
      'a:\n  b:\n    c: -0.5e-3\n',
      'a: 1 # comment\n',
      'a: [1, two, 3.5] # c\n',
      "a: 'x' # c\n",
    ];
    for (const text of accepted) assert.ok(agrees(text), JSON.stringify(text));
    // Comments and flow lists at their edges: declined, or read exactly as `yaml` reads them.
    const edges = [
      "a: echo 'x #y'\n",
      'a: b #c: d\n',
      'a: x #\n',
      "a: 'x'#c\n",
      'a: "q # r" # s\n',
      'a: #c\n  b: 1\n',
      'a:    # c\n  - 1\n',
      '- a # c\n- b\n',
      'a: [a , b]\n',
      'a: [a, b,]\n',
      'a: [ ]\n',
      'a: [a, [b]]\n',
      'a: [a: b]\n',
      "a: ['a', b]\n",
      'a: [-1, +2, .5, 1e5, 0.25]\n',
      'a: [true, null, ~, yes]\n',
      'a: [x\n  , y]\n',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: cairn.yaml's own ${…} syntax.
      'a: [${x}]\n',
    ];
    for (const text of edges) agrees(text);
  });

  it('reads the pipeline files of the docs, fixtures and benchmark with the lines the yaml package gives', () => {
    const docs = readFileSync(new URL('../../docs/pipelines.md', import.meta.url), 'utf8');
    const blocks = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    const fixture = (name: string) =>
      readFileSync(new URL(`../fixtures/adult-pipeline/${name}`, import.meta.url), 'utf8');
    const corpus = [
      ...blocks,
      fixture('cairn.yaml'),
      fixture('params.yaml'),
      pipelineYaml(benchStages()),
      'stages:\n  a:\n    cmd: echo\n    deps:\n    outs: []\n',
      'a:\n  b:\n  c: 1\nd:\n',
    ];
    let fast = 0;
    for (const text of corpus) if (agrees(text)) fast++;
    assert.ok(fast >= 6, `${fast} of ${corpus.length} took the fast path`);
    assert.ok(agrees(pipelineYaml(benchStages())), 'the 50-stage benchmark pipeline');
    assert.ok(agrees(fixture('cairn.yaml')));
  });

  it('formats the lock stage by stage exactly as the yaml package formats the whole document', () => {
    const byPath = <T extends { path: string }>(xs: readonly T[]) =>
      [...xs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const whole = (lock: LockFile) => {
      const stages: Record<string, unknown> = {};
      for (const name of Object.keys(lock.stages).sort()) {
        const e = lock.stages[name] as LockEntry;
        stages[name] = {
          cmd: e.cmd,
          deps: byPath(e.deps).map(({ path, hash, size, files }) => ({
            path,
            hash,
            size,
            ...(files !== undefined ? { files } : {}),
          })),
          params: e.params,
          outs: byPath(e.outs).map(({ path, hash, size, files, cache }) => ({
            path,
            hash,
            size,
            ...(files !== undefined ? { files } : {}),
            cache,
          })),
        };
      }
      return stringify({ schema: 1, stages }, { lineWidth: 0 });
    };
    const header = (text: string) => text.slice(0, text.indexOf('schema: 1'));
    const multiLine = [' two\n  lines', 'a\n\nb', 'ends with newline\n', '  indented\nfirst'];
    const locks: LockFile[] = [{ schema: 1, stages: {} }];
    const many: LockFile = { schema: 1, stages: {} };
    [...TRICKY_STRINGS, ...multiLine].forEach((s, i) => {
      many.stages[`s${String(i).padStart(2, '0')}`] = entry([s], { [`k${i}`]: s });
      locks.push({ schema: 1, stages: { [s === '' ? 'empty' : `x${i}`]: entry([s, 'b']) } });
    });
    TRICKY_VALUES.forEach((v, i) => {
      many.stages[`v${String(i).padStart(2, '0')}`] = entry(['x'], { p: v });
    });
    locks.push(many);
    for (const lock of locks) {
      const text = formatLockFile(lock);
      assert.equal(text, header(text) + whole(lock));
      assert.deepEqual(parseLockFile(text), lock);
    }
  });

  it('rewrites only what changed: stage texts read back from the file are reused when they match', async () => {
    const root = await tempDir();
    const lock: LockFile = { schema: 1, stages: {} };
    for (const name of ['a', 'b', 'c']) lock.stages[name] = entry([`run ${name}`], { n: 1 });
    const handEdited = formatLockFile(lock)
      .replace('  b:\n    cmd:\n      - run b\n    deps:', '  b:\n    deps:')
      .replace(/( {2}b:\n {4}deps:[\s\S]*?)( {4}params:)/, '$1    cmd:\n      - run b\n$2');
    assert.notEqual(handEdited, formatLockFile(lock), 'stage b has its keys out of order');
    assert.deepEqual(parseLockFile(handEdited), lock);
    await writeFile(join(root, 'cairn.lock'), handEdited);

    const writer = await LockWriter.open(root);
    const c = entry(['run c again'], { n: 2 });
    const next = await writer.update({ c });
    assert.deepEqual(next.stages.c, c);
    const text = await readFile(join(root, 'cairn.lock'), 'utf8');
    assert.equal(
      text,
      formatLockFile({ schema: 1, stages: { ...lock.stages, c } }),
      'b is written in order again',
    );
    await writer.update({}, (name) => name !== 'a');
    assert.equal(
      await readFile(join(root, 'cairn.lock'), 'utf8'),
      formatLockFile({ schema: 1, stages: { b: lock.stages.b as LockEntry, c } }),
    );
    const again = await LockWriter.open(root);
    const before = (await stat(join(root, 'cairn.lock'))).mtimeMs;
    await again.update({ c });
    assert.equal(
      (await stat(join(root, 'cairn.lock'))).mtimeMs,
      before,
      'nothing written when nothing changed',
    );
  });

  it('reports broken YAML in cairn.lock with the yaml package message', () => {
    assert.throws(() => parseLockFile('schema: 1\nstages: [\n'), /cairn\.lock: not valid YAML/);
  });
});
