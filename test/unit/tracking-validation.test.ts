import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePageToken, encodePageToken, pageOf } from '../../src/tracking/sql/page-token.ts';
import {
  normpath,
  validateBatch,
  validateMetric,
  validateParam,
} from '../../src/tracking/tracking-validation.ts';

describe('tracking validation', () => {
  it("normalises paths as Python's posixpath.normpath does (MLflow's check for names)", () => {
    // Expected values printed by CPython's posixpath.normpath.
    const cases: [string, string][] = [
      ['a//b', 'a/b'],
      ['a/./b', 'a/b'],
      ['a/', 'a'],
      ['./a', 'a'],
      ['../a', '../a'],
      ['/a/..', '/'],
      ['', '.'],
      ['//a', '//a'],
      ['///a', '/a'],
      ['a/b/../c', 'a/c'],
      ['a/..', '.'],
      ['a/b/../../..', '..'],
    ];
    for (const [path, want] of cases) assert.equal(normpath(path), want, JSON.stringify(path));
  });

  it('accepts the names MLflow accepts and refuses the others', () => {
    for (const key of ['acc', 'val/acc', 'loss 1', 'a.b-c_d', 'step:10', 'über'])
      assert.doesNotThrow(() => validateParam({ key, value: 'v' }), key);
    for (const key of ['', 'a//b', 'a/', '../x', '/abs', 'bad!', 'a/./b'])
      assert.throws(
        () => validateParam({ key, value: 'v' }),
        { code: 'INVALID_ARGUMENT' },
        JSON.stringify(key),
      );
  });

  it('checks metric values, timestamps and steps', () => {
    const ok = { key: 'm', value: Number.NaN, timestamp: 0, step: -3 };
    assert.doesNotThrow(() => validateMetric(ok));
    assert.throws(() => validateMetric({ ...ok, value: '1' as unknown as number }), /valid double/);
    assert.throws(() => validateMetric({ ...ok, timestamp: 1.5 }), /Timestamp must be a nonnegative long/);
    assert.throws(
      () => validateMetric({ ...ok, step: Number.POSITIVE_INFINITY }),
      /Step must be a valid long/,
    );
  });

  it('folds repeated batch entries: a param with one value, a tag to its last value', () => {
    const batch = validateBatch({
      params: [
        { key: 'a', value: '1' },
        { key: 'a', value: '1' },
      ],
      tags: [
        { key: 't', value: 'x' },
        { key: 't', value: 'y' },
      ],
    });
    assert.deepEqual(batch, {
      metrics: [],
      params: [{ key: 'a', value: '1' }],
      tags: [{ key: 't', value: 'y' }],
    });
  });
});

describe('page tokens', () => {
  it("round-trip MLflow's base64 JSON offset and reject anything else", () => {
    assert.equal(encodePageToken(40), Buffer.from('{"offset":40}').toString('base64'));
    assert.equal(decodePageToken(encodePageToken(40)), 40);
    assert.equal(decodePageToken(undefined), 0);
    for (const token of [
      '%%%',
      Buffer.from('[]').toString('base64'),
      Buffer.from('{"offset":-1}').toString('base64'),
    ])
      assert.throws(() => decodePageToken(token), { code: 'INVALID_ARGUMENT' }, token);
  });

  it('gives a next token only when a further row exists', () => {
    assert.deepEqual(pageOf([1, 2, 3], 0, 3), { items: [1, 2, 3] });
    assert.deepEqual(pageOf([1, 2, 3, 4], 6, 3), { items: [1, 2, 3], next_page_token: encodePageToken(9) });
  });
});
