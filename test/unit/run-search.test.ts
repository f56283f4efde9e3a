import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MetadataStore } from '../../src/store/metadata-store.ts';
import { SqliteMetadataStore } from '../../src/store/sqlite/sqlite-metadata-store.ts';
import { buildExperimentSearch } from '../../src/tracking/sql/experiment-search.ts';
import { buildRunSearch } from '../../src/tracking/sql/run-search.ts';
import { textComparison } from '../../src/tracking/sql/sql-compare.ts';

/** MLflow's LIKE as a regular expression: case-sensitive, `\` escapes, `_` is one character. */
function likeRegex(pattern: string, flags = 'su'): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') source += (pattern[++i] ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (c === '%') source += '.*';
    else if (c === '_') source += '.';
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, flags);
}

const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number) {
  let state = seed;
  return (n: number) => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

describe('LIKE and ILIKE on SQLite', () => {
  let db: MetadataStore;
  before(async () => {
    db = new SqliteMetadataStore({ path: ':memory:' });
    await db.run('CREATE TABLE t (v TEXT NOT NULL)');
  });
  after(() => db.close());

  it('match exactly like the case-sensitive reference (LIKE) and ASCII-folded reference (ILIKE)', async () => {
    const next = random(42);
    const textChars = ['a', 'A', 'b', 'B', 'z', 'Z', 'é', 'É', '%', '_', '\\', '1', '\u{1F600}'];
    const patternChars = ['a', 'A', 'b', 'B', 'é', 'É', '%', '_', '\\%', '\\_', '\\\\', '1', '\u{1F600}'];
    const texts = new Set<string>();
    for (let i = 0; i < 300; i++)
      texts.add(Array.from({ length: next(6) }, () => textChars[next(textChars.length)]).join(''));
    await db.runMany(
      'INSERT INTO t (v) VALUES (?)',
      [...texts].map((v) => [v]),
    );
    let matched = 0;
    for (let i = 0; i < 300; i++) {
      const pattern = Array.from({ length: 1 + next(4) }, () => patternChars[next(patternChars.length)]).join(
        '',
      );
      for (const comparator of ['LIKE', 'ILIKE'] as const) {
        const cmp = textComparison('v', comparator, pattern);
        const got = (await db.all<{ v: string }>(`SELECT v FROM t WHERE ${cmp.sql}`, cmp.params))
          .map((r) => r.v)
          .sort();
        const regex = likeRegex(comparator === 'LIKE' ? pattern : asciiLower(pattern));
        const want = [...texts].filter((v) => regex.test(comparator === 'LIKE' ? v : asciiLower(v))).sort();
        assert.deepEqual(got, want, `${comparator} ${JSON.stringify(pattern)}`);
        matched += got.length;
      }
    }
    assert.ok(matched > 1000, `the patterns matched ${matched} texts: too few to tell anything`);
  });

  it('refuses a pattern ending in a lone escape character', () => {
    assert.throws(() => textComparison('v', 'LIKE', 'abc\\'), { code: 'INVALID_ARGUMENT' });
    assert.doesNotThrow(() => textComparison('v', 'LIKE', 'abc\\\\'));
  });
});

/** Each `?` outside string literals must have exactly one parameter. */
function placeholders(sql: string): number {
  return sql.replace(/'(?:[^']|'')*'/g, '').split('?').length - 1;
}

describe('buildRunSearch', () => {
  const base = { experimentIds: [1, 2], stages: ['active' as const], limit: 11, offset: 20 };

  it('keeps parameters in the order of their placeholders', () => {
    const q = buildRunSearch({
      ...base,
      filter:
        "metrics.acc > 0.8 and params.model LIKE 'g%' and attributes.status IN ('A', 'B') and tags.t != 'x' and datasets.context = 'train' and attributes.start_time >= 5",
      orderBy: ['params.model DESC', 'metrics.loss'],
    });
    assert.equal(placeholders(q.sql), q.params.length);
    assert.deepEqual(
      q.params.slice(0, 4),
      [1, 2, 'acc', 0.8],
      'the first join: its experiments, key and value',
    );
    assert.deepEqual(q.params.slice(-2), [11, 20], 'LIMIT and OFFSET come last');
    assert.match(
      q.sql,
      /ORDER BY .*o0\.value DESC.*o1\.value ASC, r\.start_time DESC, r\.run_uuid ASC LIMIT/,
    );
  });

  it('orders by start_time and run_id only when not asked to already, and accepts MLflow aliases', () => {
    const q = buildRunSearch({ ...base, orderBy: ['attributes.created ASC', 'run_id DESC'] });
    assert.match(q.sql, /ORDER BY r\.start_time ASC, r\.run_uuid DESC LIMIT/);
    const named = buildRunSearch({ ...base, filter: "attributes.`Run Name` = 'x'" });
    assert.match(named.sql, /r\.name = \?/);
  });

  for (const [filter, message] of [
    ["metrics.acc = 'high'", /Expected numeric value type for metric/],
    ["params.p > 'a'", /Invalid comparator '>'/],
    ['params.p = 1', /Expected a quoted string value for param/],
    ["attributes.colour = 'x'", /Invalid attribute key 'colour'/],
    ["datasets.size = 'x'", /Invalid dataset key 'size'/],
    ['tags.t IS NULL', /Invalid comparator 'IS NULL'/],
    ["attributes.end_time LIKE '1%'", /Invalid comparator 'LIKE'/],
  ] as const)
    it(`rejects ${filter}`, () => {
      assert.throws(() => buildRunSearch({ ...base, filter }), { code: 'INVALID_ARGUMENT', message });
    });

  it('rejects duplicate and unknown order_by fields', () => {
    assert.throws(() => buildRunSearch({ ...base, orderBy: ['start_time', 'attributes.created DESC'] }), {
      code: 'INVALID_ARGUMENT',
      message: /duplicate/,
    });
    assert.throws(() => buildRunSearch({ ...base, orderBy: ['datasets.name'] }), {
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('buildExperimentSearch', () => {
  it('orders newest first by default and always ends with the id', () => {
    const q = buildExperimentSearch({ stages: ['active'], limit: 3, offset: 0 });
    assert.match(q.sql, /ORDER BY e\.creation_time DESC, e\.experiment_id ASC LIMIT/);
    const byName = buildExperimentSearch({ stages: ['active'], orderBy: ['name'], limit: 3, offset: 0 });
    assert.match(byName.sql, /ORDER BY e\.name ASC, e\.experiment_id DESC LIMIT/);
    const tagged = buildExperimentSearch({
      stages: ['active'],
      filter: "tags.a = 'b' and name ILIKE 'X%'",
      limit: 3,
      offset: 0,
    });
    assert.equal(placeholders(tagged.sql), tagged.params.length);
    assert.deepEqual(tagged.params, ['active', 'a', 'b', 'x%', 3, 0]);
  });
});
