import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatToken, newTokenParts, parseToken } from '../../src/security/auth-token.ts';
import { parseDuration } from '../../src/security/duration.ts';
import { hashSecret, verifySecret } from '../../src/security/secret-hash.ts';
import { VerifiedCache } from '../../src/security/verified-cache.ts';

describe('secret hashing', () => {
  it('verifies the secret it hashed and nothing else', async () => {
    const stored = await hashSecret('s3cret passphrase');
    assert.match(stored, /^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.ok(!stored.includes('s3cret'));
    assert.equal(await verifySecret('s3cret passphrase', stored), true);
    for (const wrong of ['s3cret passphrasE', 's3cret passphrase ', '', 's3cret'])
      assert.equal(await verifySecret(wrong, stored), false, wrong);
  });

  it('salts every hash, so equal secrets hash differently', async () => {
    const [a, b] = await Promise.all([hashSecret('same'), hashSecret('same')]);
    assert.notEqual(a, b);
    assert.equal(await verifySecret('same', a), true);
    assert.equal(await verifySecret('same', b), true);
  });

  it('treats canonically equal Unicode spellings as one password', async () => {
    const stored = await hashSecret('caf\u00e9');
    assert.equal(await verifySecret('cafe\u0301', stored), true);
  });

  it('never matches a tampered or malformed stored hash', async () => {
    const stored = await hashSecret('secret');
    const parts = stored.split('$');
    const flip = (s: string) => (s.startsWith('A') ? `B${s.slice(1)}` : `A${s.slice(1)}`);
    const tampered = [
      [...parts.slice(0, 4), flip(parts[4] ?? ''), parts[5]].join('$'),
      [...parts.slice(0, 5), flip(parts[5] ?? '')].join('$'),
      ['scrypt', '1024', ...parts.slice(2)].join('$'),
      ['bcrypt', ...parts.slice(1)].join('$'),
      ['scrypt', String(2 ** 24), ...parts.slice(2)].join('$'),
      parts.slice(0, 5).join('$'),
      '',
      'secret',
    ];
    for (const bad of tampered) assert.equal(await verifySecret('secret', bad), false, bad);
  });
});

describe('token format', () => {
  it('round-trips cairn_<id>_<secret> with 64 random bits of id and 256 of secret', () => {
    const parts = newTokenParts();
    assert.match(parts.id, /^[0-9a-f]{16}$/);
    assert.equal(Buffer.from(parts.secret, 'base64url').length, 32);
    const token = formatToken(parts);
    assert.ok(token.startsWith(`cairn_${parts.id}_`));
    assert.deepEqual(parseToken(token), parts);
    assert.notDeepEqual(newTokenParts(), parts);
  });

  it('parses a secret that itself contains underscores', () => {
    const parts = { id: '0123456789abcdef', secret: `_${'a'.repeat(20)}_${'b'.repeat(21)}` };
    assert.deepEqual(parseToken(formatToken(parts)), parts);
  });

  it('rejects anything else', () => {
    const good = formatToken(newTokenParts());
    for (const bad of [
      '',
      good.slice(1),
      `${good}=`,
      good.toUpperCase(),
      good.replace(/^cairn_/, 'cairn-'),
      `cairn_0123456789ABCDEF_${'a'.repeat(43)}`,
      `cairn_0123456789abcde_${'a'.repeat(43)}`,
      `cairn_0123456789abcdef_${'a'.repeat(42)}`,
      `cairn_0123456789abcdef_${'a'.repeat(42)}+`,
      ` ${good}`,
    ])
      assert.equal(parseToken(bad), undefined, bad);
  });
});

describe('parseDuration', () => {
  it('reads minutes, hours, days and weeks', () => {
    assert.equal(parseDuration('15m'), 15 * 60_000);
    assert.equal(parseDuration('12h'), 12 * 3_600_000);
    assert.equal(parseDuration('30d'), 30 * 86_400_000);
    assert.equal(parseDuration('4w'), 28 * 86_400_000);
    assert.equal(parseDuration(' 1d '), 86_400_000);
  });

  it('rejects other input with a message that shows the format', () => {
    for (const bad of ['', '30', 'd', '0d', '-1d', '1.5h', '30 d', '30D', '30s', '30y', '1e3d', 'never']) {
      assert.throws(
        () => parseDuration(bad),
        (err: Error & { code?: string; hint?: string }) => {
          assert.equal(err.code, 'INVALID_ARGUMENT');
          assert.ok(err.message.includes(`"${bad}"`));
          assert.match(err.hint ?? '', /m \(minutes\), h \(hours\), d \(days\) or w \(weeks\), e\.g\. 30d/);
          return true;
        },
        bad,
      );
    }
    assert.throws(() => parseDuration('5000w'), /longer than 10 years/);
  });
});

describe('VerifiedCache', () => {
  it('remembers a credential only against the stored hash it was checked with', () => {
    const cache = new VerifiedCache(2);
    cache.add('token-a', 'hash-1');
    assert.equal(cache.has('token-a', 'hash-1'), true);
    assert.equal(cache.has('token-a', 'hash-2'), false);
    assert.equal(cache.has('token-b', 'hash-1'), false);
  });

  it('forgets the least recently added entry beyond its capacity', () => {
    const cache = new VerifiedCache(2);
    cache.add('a', 'h');
    cache.add('b', 'h');
    cache.add('a', 'h');
    cache.add('c', 'h');
    assert.deepEqual(
      ['a', 'b', 'c'].map((k) => cache.has(k, 'h')),
      [true, false, true],
    );
  });
});
