import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAuthorization } from '../../src/server/auth/credentials.ts';

const basic = (s: string) => `Basic ${Buffer.from(s, 'utf8').toString('base64')}`;

describe('parseAuthorization', () => {
  it('reads bearer tokens, with any case of the scheme', () => {
    assert.deepEqual(parseAuthorization('Bearer cairn_x'), { kind: 'bearer', token: 'cairn_x' });
    assert.deepEqual(parseAuthorization('bearer  abc '), { kind: 'bearer', token: 'abc' });
  });

  it('reads Basic credentials; the password may contain colons and any Unicode', () => {
    assert.deepEqual(parseAuthorization(basic('alice:pa:ss wörd')), {
      kind: 'basic',
      user: 'alice',
      password: 'pa:ss wörd',
    });
    assert.deepEqual(parseAuthorization(basic('bob:')), { kind: 'basic', user: 'bob', password: '' });
  });

  it('tells missing credentials from malformed ones', () => {
    assert.deepEqual(parseAuthorization(undefined), { kind: 'none' });
    assert.deepEqual(parseAuthorization('  '), { kind: 'none' });
    for (const bad of [
      'Bearer',
      'Bearer a b',
      'Token abc',
      'Digest x',
      basic('no-colon'),
      'Basic !!!',
      'cairn_abc',
    ])
      assert.equal(parseAuthorization(bad).kind, 'malformed', bad);
  });
});
