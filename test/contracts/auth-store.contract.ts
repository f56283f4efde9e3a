import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuthStore } from '../../src/security/auth-store.ts';
import { formatToken, parseToken } from '../../src/security/auth-token.ts';
import { SECURITY_MIGRATIONS } from '../../src/security/security-migrations.ts';
import type { MetadataStore } from '../../src/store/metadata-store.ts';

const rejectsWith = (code: string, message?: RegExp) => (err: Error & { code?: string }) => {
  assert.equal(err.code, code, err.message);
  if (message) assert.match(err.message, message);
  return true;
};

/**
 * The behaviour of AuthStore on one metadata backend. `open` returns a store on an empty
 * database the suite may change freely.
 */
export function describeAuthStore(
  name: string,
  open: () => Promise<MetadataStore>,
  options: { skip?: string | false } = {},
): void {
  describe(`AuthStore: ${name}`, { skip: options.skip ?? false }, () => {
    let metadata: MetadataStore;
    let clock = Date.UTC(2025, 0, 1);
    let auth: AuthStore;
    before(async () => {
      metadata = await open();
      auth = new AuthStore(metadata, { now: () => clock });
    });
    after(async () => {
      await metadata?.close();
    });

    it('starts without credentials and creates its tables on first use', async () => {
      assert.equal(await auth.hasCredentials(), false);
      assert.deepEqual(await auth.listTokens(), []);
      const tables = await metadata.all<{ id: string }>(
        "SELECT id FROM cairn_migrations WHERE id LIKE 'security-%'",
      );
      assert.deepEqual(
        tables.map((t) => t.id),
        SECURITY_MIGRATIONS.map((m) => m.id),
      );
    });

    it('issues a token once, stores only its hash, and verifies it', async () => {
      const { token, info } = await auth.createToken({
        role: 'editor',
        name: 'ci',
        expiresInMs: 30 * 86_400_000,
        createdBy: 'cli:test',
      });
      assert.match(token, /^cairn_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
      assert.equal(parseToken(token)?.id, info.id);
      assert.equal(info.expiresAt, clock + 30 * 86_400_000);
      const row = await metadata.get<{ secret_hash: string }>('SELECT * FROM security_tokens WHERE id = ?', [
        info.id,
      ]);
      const secret = parseToken(token)?.secret ?? '';
      assert.ok(!JSON.stringify(row).includes(secret), 'the secret is stored in plaintext');
      assert.match(row?.secret_hash ?? '', /^scrypt\$/);
      assert.deepEqual(await auth.verifyBearer(token), {
        kind: 'token',
        name: 'token:ci',
        role: 'editor',
        tokenId: info.id,
      });
      assert.equal(await auth.hasCredentials(), true);
      const listed = await auth.listTokens();
      assert.equal(listed.length, 1);
      assert.deepEqual({ ...listed[0], lastUsedAt: null }, info);
      assert.equal(listed[0]?.lastUsedAt, clock, 'last use is recorded');
      assert.ok(!JSON.stringify(listed).includes('scrypt'), 'listing shows no hashes');
    });

    it('rejects a tampered secret, a wrong id and a malformed token', async () => {
      const { token, info } = await auth.createToken({ role: 'viewer' });
      const parts = parseToken(token);
      assert.ok(parts);
      const flipped = parts.secret.startsWith('A')
        ? `B${parts.secret.slice(1)}`
        : `A${parts.secret.slice(1)}`;
      const invalid = rejectsWith('UNAUTHENTICATED', /^invalid token$/);
      await assert.rejects(auth.verifyBearer(formatToken({ id: parts.id, secret: flipped })), invalid);
      await assert.rejects(
        auth.verifyBearer(formatToken({ id: 'ffffffffffffffff', secret: parts.secret })),
        invalid,
      );
      const other = await auth.createToken({ role: 'admin' });
      const otherId = parseToken(other.token)?.id ?? '';
      await assert.rejects(auth.verifyBearer(formatToken({ id: otherId, secret: parts.secret })), invalid);
      for (const bad of [
        '',
        token.slice(0, -1),
        `${token}x`,
        token.replace('cairn_', 'mlflow_'),
        `Bearer ${token}`,
      ])
        await assert.rejects(auth.verifyBearer(bad), rejectsWith('UNAUTHENTICATED'));
      assert.equal((await auth.verifyBearer(token)).tokenId, info.id, 'the right token still verifies');
    });

    it('rejects an expired token and says so only to its holder', async () => {
      const { token, info } = await auth.createToken({ role: 'admin', expiresInMs: 60_000 });
      assert.equal((await auth.verifyBearer(token)).role, 'admin');
      clock += 59_999;
      assert.equal((await auth.verifyBearer(token)).role, 'admin');
      clock += 1;
      await assert.rejects(auth.verifyBearer(token), rejectsWith('UNAUTHENTICATED', /expired at/));
      const secret = parseToken(token)?.secret ?? '';
      const wrong = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
      await assert.rejects(
        auth.verifyBearer(formatToken({ id: info.id, secret: wrong })),
        rejectsWith('UNAUTHENTICATED', /^invalid token$/),
      );
    });

    it('revokes a token at once, idempotently, and reports an unknown id', async () => {
      const { token, info } = await auth.createToken({ role: 'editor', name: 'to-revoke' });
      await auth.verifyBearer(token);
      clock += 1000;
      const revoked = await auth.revokeToken(info.id);
      assert.equal(revoked.revokedAt, clock);
      await assert.rejects(auth.verifyBearer(token), rejectsWith('UNAUTHENTICATED', /was revoked/));
      clock += 1000;
      assert.equal(
        (await auth.revokeToken(info.id)).revokedAt,
        clock - 1000,
        'a second revoke keeps the first time',
      );
      await assert.rejects(auth.revokeToken('0123456789abcdef'), rejectsWith('NOT_FOUND'));
      await assert.rejects(auth.revokeToken('nope'), rejectsWith('INVALID_ARGUMENT'));
    });

    it('checks passwords of users with HTTP Basic semantics', async () => {
      const user = await auth.createUser({ name: 'alice', password: 'correct horse', role: 'viewer' });
      assert.deepEqual(user, { name: 'alice', role: 'viewer', createdAt: clock, updatedAt: clock });
      assert.deepEqual(await auth.verifyBasic('alice', 'correct horse'), {
        kind: 'user',
        name: 'alice',
        role: 'viewer',
      });
      const wrong = rejectsWith('UNAUTHENTICATED', /^invalid user name or password$/);
      await assert.rejects(auth.verifyBasic('alice', 'correct horsE'), wrong);
      await assert.rejects(auth.verifyBasic('alice', ''), wrong);
      await assert.rejects(auth.verifyBasic('Alice', 'correct horse'), wrong);
      await assert.rejects(auth.verifyBasic('bob', 'correct horse'), wrong);
      await assert.rejects(auth.verifyBasic('a:b', 'correct horse'), wrong);
      const stored = await metadata.get<{ password_hash: string }>(
        'SELECT password_hash FROM security_users WHERE name = ?',
        ['alice'],
      );
      assert.ok(!stored?.password_hash.includes('correct'), 'the password is stored in plaintext');
    });

    it('changes a password: the old one stops working at once', async () => {
      await auth.setPassword('alice', 'battery staple');
      await assert.rejects(auth.verifyBasic('alice', 'correct horse'), rejectsWith('UNAUTHENTICATED'));
      assert.equal((await auth.verifyBasic('alice', 'battery staple')).name, 'alice');
      await assert.rejects(auth.setPassword('nobody', 'whatever1'), rejectsWith('NOT_FOUND'));
    });

    it('validates users and tokens before storing them', async () => {
      await assert.rejects(
        auth.createUser({ name: 'alice', password: 'another one', role: 'admin' }),
        rejectsWith('ALREADY_EXISTS', /alice/),
      );
      await assert.rejects(
        auth.createUser({ name: 'x:y', password: 'long enough', role: 'viewer' }),
        rejectsWith('INVALID_ARGUMENT'),
      );
      await assert.rejects(
        auth.createUser({ name: 'bob', password: 'short', role: 'viewer' }),
        rejectsWith('INVALID_ARGUMENT'),
      );
      await assert.rejects(
        auth.createUser({ name: 'bob', password: 'long enough', role: 'root' as 'admin' }),
        rejectsWith('INVALID_ARGUMENT', /viewer, editor, admin/),
      );
      await assert.rejects(
        auth.createToken({ role: 'superuser' as 'admin' }),
        rejectsWith('INVALID_ARGUMENT'),
      );
      await assert.rejects(
        auth.createToken({ role: 'viewer', expiresInMs: 0 }),
        rejectsWith('INVALID_ARGUMENT'),
      );
      await assert.rejects(
        auth.createToken({ role: 'viewer', expiresInMs: 1.5 }),
        rejectsWith('INVALID_ARGUMENT'),
      );
      await assert.rejects(
        auth.createToken({ role: 'viewer', name: 'a\nb' }),
        rejectsWith('INVALID_ARGUMENT'),
      );
      assert.deepEqual(
        (await auth.listUsers()).map((u) => [u.name, u.role]),
        [['alice', 'viewer']],
      );
    });

    it('keeps working from a second AuthStore on the same database (another process)', async () => {
      const second = new AuthStore(metadata, { now: () => clock });
      const { token, info } = await second.createToken({ role: 'viewer' });
      assert.equal((await auth.verifyBearer(token)).role, 'viewer');
      await second.revokeToken(info.id);
      await assert.rejects(auth.verifyBearer(token), rejectsWith('UNAUTHENTICATED', /revoked/));
    });
  });
}
