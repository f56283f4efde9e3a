import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AuthStore, type TokenInfo } from '../../src/security/auth-store.ts';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { CAIRN_BIN, type CliRun, cleanEnv, newWorkspace } from '../support/cli.ts';
import { freshDatabase } from '../support/pg-database.ts';
import { pgGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';

/** Runs `cairn …` with `input` on its standard input. */
function cairnWithInput(args: readonly string[], cwd: string, input = ''): Promise<CliRun> {
  const child = spawn(process.execPath, [CAIRN_BIN, ...args], { cwd, env: cleanEnv(), stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function withStore<T>(uri: string, fn: (auth: AuthStore) => Promise<T>): Promise<T> {
  const metadata = await openMetadataStore(uri);
  try {
    return await fn(new AuthStore(metadata));
  } finally {
    await metadata.close();
  }
}

describe('cairn token / cairn user on the workspace store', () => {
  let ws: string;
  let uri: string;

  it('creates a token, prints only it on stdout, and the server store accepts it', async () => {
    ws = await newWorkspace({ git: false });
    uri = `sqlite://${join(ws, '.cairn', 'cairn.db')}`;
    const r = await cairnWithInput(
      ['token', 'create', '--role', 'editor', '--name', 'ci', '--expires', '30d'],
      ws,
    );
    assert.equal(r.code, 0, r.stderr);
    const token = r.stdout.trim();
    assert.match(token, /^cairn_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.equal(r.stdout, `${token}\n`);
    assert.match(r.stderr, /created token [0-9a-f]{16} \(role editor, name ci, expires 20\d\d-/);
    assert.match(r.stderr, /cannot be shown again/);
    const who = await withStore(uri, (auth) => auth.verifyBearer(token));
    assert.deepEqual([who.role, who.name], ['editor', 'token:ci']);
  });

  it('lists tokens without secrets, as a table and as JSON', async () => {
    const json = await cairnWithInput(['token', 'list', '--json'], ws);
    assert.equal(json.code, 0, json.stderr);
    const tokens = JSON.parse(json.stdout) as TokenInfo[];
    assert.equal(tokens.length, 1);
    assert.equal(tokens[0]?.role, 'editor');
    assert.match(tokens[0]?.createdBy ?? '', /^cli/);
    assert.ok(!json.stdout.includes('scrypt') && !json.stdout.includes('cairn_'));
    const text = await cairnWithInput(['token', 'list'], ws);
    assert.match(text.stdout, /^ID\s+ROLE\s+NAME\s+STATUS\s+CREATED\s+EXPIRES\s+LAST USED\n/);
    assert.match(text.stdout, new RegExp(`${tokens[0]?.id}\\s+editor\\s+ci\\s+active`));
  });

  it('revokes a token so the server rejects it at once', async () => {
    const created = await cairnWithInput(['token', 'create', '--role', 'admin', '--json'], ws);
    const { id, token } = JSON.parse(created.stdout) as { id: string; token: string };
    assert.equal((await withStore(uri, (auth) => auth.verifyBearer(token))).role, 'admin');
    const r = await cairnWithInput(['token', 'revoke', id], ws);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `revoked token ${id}\n`);
    await assert.rejects(
      withStore(uri, (auth) => auth.verifyBearer(token)),
      /was revoked/,
    );
    const list = await cairnWithInput(['token', 'list'], ws);
    assert.match(list.stdout, new RegExp(`${id}\\s+admin\\s+-\\s+revoked`));
  });

  it('adds a user with the password from standard input', async () => {
    const r = await cairnWithInput(
      ['user', 'add', 'alice', '--role', 'viewer', '--password-stdin'],
      ws,
      'a long passphrase\n',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'added user alice (role viewer)\n');
    const who = await withStore(uri, (auth) => auth.verifyBasic('alice', 'a long passphrase'));
    assert.equal(who.role, 'viewer');
    const again = await cairnWithInput(
      ['user', 'add', 'alice', '--role', 'viewer', '--password-stdin'],
      ws,
      'x'.repeat(9),
    );
    assert.equal(again.code, 1);
    assert.match(
      again.stderr,
      /^error: user "alice" exists already — to change the password: cairn user set-password/,
    );
    const changed = await cairnWithInput(
      ['user', 'set-password', 'alice', '--password-stdin'],
      ws,
      'another passphrase',
    );
    assert.equal(changed.code, 0, changed.stderr);
    assert.equal(
      (await withStore(uri, (auth) => auth.verifyBasic('alice', 'another passphrase'))).name,
      'alice',
    );
    const users = await cairnWithInput(['user', 'list', '--json'], ws);
    assert.deepEqual(
      (JSON.parse(users.stdout) as { name: string; role: string }[]).map((u) => [u.name, u.role]),
      [['alice', 'viewer']],
    );
  });

  it('exits 2 with one clear line on bad input', async () => {
    const cases: [string[], RegExp][] = [
      [['token', 'create'], /required option '--role <role>' not specified/],
      [['token', 'create', '--role', 'root'], /Allowed choices are viewer, editor, admin/],
      [
        ['token', 'create', '--role', 'viewer', '--expires', '30x'],
        /^error: invalid duration "30x" — use a positive whole number followed by m \(minutes\)/,
      ],
      [['token', 'revoke', 'zzz'], /^error: "zzz" is not a token id/],
      [
        ['user', 'add', 'bob', '--role', 'viewer'],
        /^error: the password is read from standard input: pass --password-stdin/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await cairnWithInput(args, ws);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'a stack trace');
    }
    const missing = await cairnWithInput(['token', 'revoke', '0123456789abcdef'], ws);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /^error: no token with id 0123456789abcdef — cairn token list shows the ids\n$/,
    );
  });

  it('names --store when run outside a workspace, and uses the store it names', async () => {
    const outside = await tempDir('cairn-no-ws-');
    const r = await cairnWithInput(['token', 'list'], outside);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not inside a Cairn workspace .* --store postgresql:\/\//);
    const store = `sqlite://${join(outside, 'server.db')}`;
    const created = await cairnWithInput(['token', 'create', '--role', 'viewer', '--store', store], outside);
    assert.equal(created.code, 0, created.stderr);
    assert.equal((await withStore(store, (auth) => auth.verifyBearer(created.stdout.trim()))).role, 'viewer');
  });
});

const gate = pgGate();

describe('cairn token --store postgresql://…', { skip: gate.skip }, () => {
  it("manages the tokens of a PostgreSQL-backed server's store", async () => {
    const store = await freshDatabase(gate.value ?? '', 'cairn_auth_cli');
    const cwd = await tempDir('cairn-pg-cli-');
    const created = await cairnWithInput(
      ['token', 'create', '--role', 'admin', '--json', '--store', store],
      cwd,
    );
    assert.equal(created.code, 0, created.stderr);
    const { id, token } = JSON.parse(created.stdout) as { id: string; token: string };
    assert.equal((await withStore(store, (auth) => auth.verifyBearer(token))).role, 'admin');
    const listed = await cairnWithInput(['token', 'list', '--json', '--store', store], cwd);
    assert.deepEqual(
      (JSON.parse(listed.stdout) as TokenInfo[]).map((t) => t.id),
      [id],
    );
    assert.equal((await cairnWithInput(['token', 'revoke', id, '--store', store], cwd)).code, 0);
    await assert.rejects(
      withStore(store, (auth) => auth.verifyBearer(token)),
      /was revoked/,
    );
    const user = await cairnWithInput(
      ['user', 'add', 'ops', '--role', 'admin', '--password-stdin', '--store', store],
      cwd,
      'ops-password',
    );
    assert.equal(user.code, 0, user.stderr);
    assert.equal((await withStore(store, (auth) => auth.verifyBasic('ops', 'ops-password'))).role, 'admin');
  });
});
