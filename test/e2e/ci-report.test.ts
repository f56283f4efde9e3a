import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { GateResult } from '../../src/ml/gates/gate-result.ts';
import { cairn, git, newWorkspace, writeFiles } from '../support/cli.ts';
import { cairnInProcess } from '../support/cli-in-process.ts';
import { pythonGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';

// The stage computes its metrics from its param and its data, so both changes show in them.
const TRAIN = `node -e "const fs=require('fs');const y=require('fs').readFileSync('params.yaml','utf8');const lr=Number(/lr: ([0-9.]+)/.exec(y)[1]);const rows=fs.readFileSync('data/raw.csv','utf8').trim().split('\\\\n').length-1;fs.writeFileSync('metrics.json',JSON.stringify({loss:lr*rows,auc:0.5+lr,rows}))"`;

const CAIRN_YAML = `stages:
  train:
    cmd: ${JSON.stringify(TRAIN)}
    deps:
      - data/raw.csv
    params:
      - train.lr
    metrics:
      - metrics.json
`;

function csv(rows: number): string {
  return `x,y\n${Array.from({ length: rows }, (_, i) => `${i},${i % 2}`).join('\n')}\n`;
}

async function ok(args: string[], cwd: string) {
  const r = await cairn(args, { cwd });
  assert.equal(r.code, 0, `cairn ${args.join(' ')}: ${r.stderr}`);
  return r;
}

const GATE: GateResult = {
  gate: 'churn',
  model: 'models/churn',
  champion: { name: 'churn', version: '3', alias: 'champion' },
  data: { path: 'data/test.csv', digest: `sha256:${'a'.repeat(64)}`, rows: 600 },
  target: 'y',
  passed: false,
  rules: [
    { rule: 'roc_auc >= 0.8', kind: 'metric', line: 12, passed: true, value: 0.91, threshold: '>= 0.8' },
    {
      rule: 'roc_auc >= champion.roc_auc - 0.005',
      kind: 'relative',
      line: 13,
      passed: false,
      value: 0.91,
      threshold: '>= 0.925',
      champion: 0.93,
      detail: 'below the champion <by> 0.02 & more',
    },
  ],
  metrics: { values: { roc_auc: 0.91 }, undefined: {} },
  evaluated_at: '2026-01-01T00:00:00.000Z',
};

/** A strict reader of JUnit XML as Ant's schema (the one Jenkins and GitLab read) defines it. */
function readJunit(xml: string) {
  assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites /);
  const tags = [...xml.matchAll(/<(\/?)([a-z-]+)((?:\s+[a-z]+="[^"<>]*")*)\s*(\/?)>/g)];
  const stack: string[] = [];
  const suites: {
    attrs: Record<string, string>;
    cases: { attrs: Record<string, string>; failure?: Record<string, string> }[];
  }[] = [];
  for (const [, close, name, rawAttrs, selfClose] of tags) {
    const attrs = Object.fromEntries(
      [...(rawAttrs ?? '').matchAll(/([a-z]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (close) {
      assert.equal(stack.pop(), name, `</${name}> closes what it opened`);
      continue;
    }
    const parent = stack.at(-1);
    const allowed: Record<string, string | undefined> = {
      testsuites: undefined,
      testsuite: 'testsuites',
      properties: 'testsuite',
      property: 'properties',
      testcase: 'testsuite',
      failure: 'testcase',
      'system-out': 'testsuite',
      'system-err': 'testsuite',
    };
    assert.ok((name as string) in allowed, `unknown element <${name}>`);
    assert.equal(parent, allowed[name as string], `<${name}> inside <${parent}>`);
    if (name === 'testsuite') {
      for (const a of ['name', 'timestamp', 'hostname', 'tests', 'failures', 'errors', 'time'])
        assert.ok(a in attrs, `testsuite needs ${a}`);
      assert.match(attrs.timestamp as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
      suites.push({ attrs, cases: [] });
    }
    if (name === 'testcase') {
      for (const a of ['name', 'classname', 'time']) assert.ok(a in attrs, `testcase needs ${a}`);
      suites.at(-1)?.cases.push({ attrs });
    }
    if (name === 'failure') {
      assert.ok('message' in attrs && 'type' in attrs);
      const last = suites.at(-1)?.cases.at(-1);
      if (last) last.failure = attrs;
    }
    if (!selfClose) stack.push(name as string);
  }
  assert.deepEqual(stack, []);
  return suites;
}

describe('cairn ci report on a git repository with two commits', () => {
  let dir = '';
  before(async () => {
    dir = await newWorkspace();
    await writeFiles(dir, {
      'cairn.yaml': CAIRN_YAML,
      'params.yaml': 'train:\n  lr: 0.1\n',
      'data/raw.csv': csv(3),
    });
    await ok(['add', 'data/raw.csv'], dir);
    await ok(['run'], dir);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-qm', 'first']);
    git(dir, ['checkout', '-qb', 'change']);
    await writeFiles(dir, { 'params.yaml': 'train:\n  lr: 0.2\n', 'data/raw.csv': csv(5) });
    await ok(['add', 'data/raw.csv'], dir);
    await ok(['run'], dir);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-qm', 'second']);
    await writeFile(join(dir, 'gate.json'), JSON.stringify(GATE));
  });

  it('reports params, metrics with deltas and direction, data with rows, and the gate; JUnit holds each rule', async () => {
    const r = await ok(
      [
        'ci',
        'report',
        '--base',
        'main',
        '--gate-result',
        'gate.json',
        '--out',
        'report.md',
        '--junit',
        'gates.xml',
        '--json',
      ],
      dir,
    );
    const json = JSON.parse(r.stdout);
    assert.deepEqual(json.params, [{ key: 'train.lr', base: 0.1, head: 0.2 }]);
    const byKey = Object.fromEntries(json.metrics.map((m: { key: string }) => [m.key, m]));
    // loss = lr × rows: 0.1 × 3 → 0.2 × 5; auc = 0.5 + lr.
    assert.equal(byKey.loss.base, 0.1 * 3);
    assert.equal(byKey.loss.head, 0.2 * 5);
    assert.equal(byKey.loss.delta, 0.2 * 5 - 0.1 * 3);
    assert.deepEqual(
      [byKey.loss.direction, byKey.loss.verdict, byKey.loss.stage],
      ['lower', 'worse', 'train'],
    );
    assert.deepEqual([byKey.auc.direction, byKey.auc.verdict], ['higher', 'better']);
    assert.equal(byKey.rows.verdict, undefined);
    const [data] = json.datasets;
    assert.equal(data.path, 'data/raw.csv');
    assert.equal(data.change, 'modified');
    assert.deepEqual([data.base.rows, data.head.rows], [3, 5]);
    assert.deepEqual(
      [data.base.size, data.head.size],
      [Buffer.byteLength(csv(3)), Buffer.byteLength(csv(5))],
    );
    assert.deepEqual(json.gates, [{ gate: 'churn', model: 'models/churn', passed: false }]);

    const md = await readFile(join(dir, 'report.md'), 'utf8');
    assert.match(md, /^## Cairn report: this change \([0-9a-f]{7}\) against main \([0-9a-f]{7}\)/);
    assert.match(
      md,
      /❌ gate `churn` failed · 3 metrics compared \(1 better, 1 worse\) · 1 param changed · 1 data set changed/,
    );
    assert.match(md, /\| train \| `loss` ↓ \| 0\.3 \| 1 \| \+0\.7 \(\+233\.3333%\) \| 🔴 worse \|/);
    assert.match(md, /\| `train\.lr` \| 0\.1 \| 0\.2 \|/);
    assert.ok(
      md.includes(
        `| \`data/raw.csv\` | modified | \`${data.base.hash.slice(0, 19)}…\` · ${data.base.size} B · 3 rows |`,
      ),
    );
    assert.match(md, /#### ❌ Gate `churn` failed \(1 of 2 rules\)/);

    const suites = readJunit(await readFile(join(dir, 'gates.xml'), 'utf8'));
    assert.equal(suites.length, 1);
    assert.deepEqual(
      suites[0]?.cases.map((c) => [c.attrs.name, c.failure?.message]),
      [
        ['roc_auc &gt;= 0.8', undefined],
        ['roc_auc &gt;= champion.roc_auc - 0.005', '0.91 is not &gt;= 0.925 (champion 0.93)'],
      ],
    );
    assert.deepEqual([suites[0]?.attrs.tests, suites[0]?.attrs.failures], ['2', '1']);
  });

  it('says how to fetch a base a shallow clone lacks, and what is wrong with bad input', async () => {
    const clones = await tempDir('cairn-shallow-');
    spawnSync('git', ['clone', '-q', '--depth', '1', '--branch', 'change', `file://${dir}`, 'c'], {
      cwd: clones,
    });
    const shallow = await cairnInProcess(['ci', 'report', '--base', 'origin/main'], {
      cwd: join(clones, 'c'),
    });
    assert.equal(shallow.code, 1);
    assert.match(
      shallow.stderr,
      /the base origin\/main is not in this shallow clone.*git fetch --no-tags --depth=50 origin main.*fetch-depth: 0/s,
    );
    assert.doesNotMatch(shallow.stderr, /\n\s+at /);

    const unknown = await cairnInProcess(['ci', 'report', '--base', 'no-such-branch'], { cwd: dir });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /git knows no commit named no-such-branch/);
    const both = await cairnInProcess(
      ['ci', 'report', '--base', 'main', '--baseline', 'models:/x@champion'],
      { cwd: dir },
    );
    assert.equal(both.code, 2);
    const notGit = await newWorkspace({ git: false });
    const none = await cairnInProcess(['ci', 'report', '--base', 'main'], { cwd: notGit });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /is not in a git repository.*--baseline models:\/<name>@champion/s);
    const badGate = join(dir, 'bad.json');
    await writeFile(badGate, '{"nope": 1}');
    const bad = await cairnInProcess(['ci', 'report', '--base', 'main', '--gate-result', 'bad.json'], {
      cwd: dir,
    });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.json is not a gate result/);

    const noProvider = await cairnInProcess(['ci', 'comment', 'report.md'], {
      cwd: dir,
      env: { GITHUB_ACTIONS: '', GITLAB_CI: '' },
    });
    assert.equal(noProvider.code, 2);
    assert.match(noProvider.stderr, /pass --provider github or --provider gitlab/);
    const noFile = await cairnInProcess(['ci', 'comment', 'missing.md', '--provider', 'github'], {
      cwd: dir,
    });
    assert.equal(noFile.code, 2);
    const noToken = await cairnInProcess(
      ['ci', 'comment', 'report.md', '--provider', 'github', '--pr', '3'],
      {
        cwd: dir,
        env: { GITHUB_REPOSITORY: 'acme/churn', GITHUB_TOKEN: '' },
      },
    );
    assert.equal(noToken.code, 0);
    assert.match(noToken.stderr, /warning: no GITHUB_TOKEN/);
  });
});

const py = pythonGate();
describe('cairn ci init', () => {
  it('writes workflows that validate against the GitHub workflow and GitLab CI schemas', {
    skip: py.skip,
  }, async () => {
    const dir = await newWorkspace();
    await writeFiles(dir, {
      'models/churn/MLmodel': 'flavors: {}\n',
      'cairn.yaml': 'stages:\n  train:\n    cmd: "true"\n    outs:\n      - models/churn\n',
    });
    const gh = await cairnInProcess(['ci', 'init', '--github'], { cwd: dir });
    assert.equal(gh.code, 0, gh.stderr);
    assert.match(
      gh.stdout,
      /wrote \.github\/workflows\/cairn\.yml \(model models\/churn as churn, alias champion\)/,
    );
    assert.equal(
      (await cairnInProcess(['ci', 'init', '--github'], { cwd: dir })).code,
      1,
      'no overwrite without --force',
    );
    assert.equal((await cairnInProcess(['ci', 'init', '--gitlab'], { cwd: dir })).code, 0);
    assert.equal((await cairnInProcess(['ci', 'init'], { cwd: dir })).code, 2);
    const github = await readFile(join(dir, '.github/workflows/cairn.yml'), 'utf8');
    assert.match(github, /fetch-depth: 0/);
    assert.match(github, /path: \.cairn\/cache/);
    assert.match(github, /cairn gate models\/churn --json > gate.json/);
    assert.match(github, /cairn models promote churn "\$VERSION" --alias champion/);
    for (const [schema, file] of [
      ['vendor.github-workflows', '.github/workflows/cairn.yml'],
      ['vendor.gitlab-ci', '.gitlab-ci.yml'],
    ] as const) {
      const r = spawnSync(py.value as string, ['-m', 'check_jsonschema', '--builtin-schema', schema, file], {
        cwd: dir,
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, `${file}: ${r.stdout}${r.stderr}`);
    }
  });
});
