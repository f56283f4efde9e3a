import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServerProcess } from '../compat/server-process.ts';
import { cairn, newWorkspace } from '../support/cli.ts';
import { tempDir } from '../support/tmp-dir.ts';

/** Polls `check` until it holds (failing after 15 s). */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (const started = Date.now(); !(await check()); await sleep(20))
    if (Date.now() - started > 15_000) throw new Error(`timed out waiting for ${check.toString()}`);
}

describe('cairn server (the real process)', () => {
  it("serves a workspace's tracking store, keeps artifacts in .cairn/artifacts and stops on SIGTERM", async () => {
    const ws = await newWorkspace({ git: false });
    const server = await startServerProcess([], { cwd: ws });
    try {
      assert.match(
        server.line,
        /^Cairn server listening on http:\/\/127\.0\.0\.1:\d+ \(store: sqlite:\/\/\//,
      );
      assert.ok(server.line.includes(`artifacts: file://${join(ws, '.cairn', 'artifacts')}`), server.line);
      assert.ok(server.line.includes('auth: off'));
      const create = await fetch(`${server.url}/api/2.0/mlflow/experiments/create`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'e2e' }),
      });
      const { experiment_id: id } = (await create.json()) as { experiment_id: string };
      const put = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${id}/r/artifacts/a.txt`, {
        method: 'PUT',
        body: 'payload',
      });
      assert.equal(put.status, 200);
      assert.equal(
        await readFile(join(ws, '.cairn', 'artifacts', id, 'r', 'artifacts', 'a.txt'), 'utf8'),
        'payload',
      );
    } finally {
      assert.equal(await server.stop(), 0, server.stderr());
    }
  });

  it('defaults to ~/.cairn outside a workspace', async () => {
    const home = await tempDir('cairn-home-');
    const server = await startServerProcess([], { cwd: home, env: { HOME: home } });
    try {
      assert.ok(server.line.includes(`store: sqlite://${join(home, '.cairn', 'cairn.db')}`), server.line);
      assert.ok(server.line.includes(`artifacts: file://${join(home, '.cairn', 'artifacts')}`), server.line);
      assert.ok(existsSync(join(home, '.cairn', 'cairn.db')));
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it('finishes an upload in flight after SIGTERM, refusing new connections, then exits 0', async () => {
    const dir = await tempDir('cairn-drain-');
    const server = await startServerProcess(
      ['--store', `sqlite://${join(dir, 'c.db')}`, '--artifacts', `file://${dir}/art`],
      {
        cwd: dir,
      },
    );
    const port = Number(new URL(server.url).port);
    const total = 256 * 1024;
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => {
      answer += d.toString();
    });
    const closed = new Promise((resolve) => socket.on('close', resolve));
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `PUT /api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/slow.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        `Content-Length: ${total}\r\nContent-Type: application/octet-stream\r\n\r\n`,
    );
    socket.write(Buffer.alloc(total / 2, 7));
    // The upload is in flight once its temp file exists in the store's temp directory.
    const temps = join(dir, 'art', '.tmp');
    await until(async () => (await readdir(temps).catch(() => [])).some((f) => f.endsWith('.tmp')));
    server.child.kill('SIGTERM');
    await until(async () => server.stderr().includes('SIGTERM: finishing requests in flight'));
    await until(() =>
      fetch(`${server.url}/healthz`).then(
        () => false,
        (e: Error & { cause?: { code?: string } }) => e.cause?.code === 'ECONNREFUSED',
      ),
    );
    assert.equal(server.child.exitCode, null, 'still running while the upload is in flight');
    socket.write(Buffer.alloc(total / 2, 7));
    await closed;
    assert.match(answer, /^HTTP\/1\.1 200/);
    assert.equal(await server.exit, 0, server.stderr());
    const stored = await readFile(join(dir, 'art', '1', 'r', 'artifacts', 'slow.bin'));
    assert.equal(stored.length, total);
    assert.match(server.stderr(), /SIGTERM: finishing requests in flight/);
  });

  it('turns authentication on with --auth, says how to get a first token, and accepts one made by the CLI', async () => {
    const dir = await tempDir('cairn-auth-');
    const store = `sqlite://${join(dir, 'c.db')}`;
    const server = await startServerProcess(
      ['--auth', '--store', store, '--artifacts', `file://${dir}/art`],
      {
        cwd: dir,
      },
    );
    try {
      assert.ok(server.line.includes('auth: on'));
      await until(async () => /cairn token create --role admin --store/.test(server.stderr()));
      const anonymous = await fetch(`${server.url}/api/2.0/mlflow/experiments/get?experiment_id=0`);
      assert.equal(anonymous.status, 401);
      const made = await cairn(['token', 'create', '--role', 'viewer', '--store', store], { cwd: dir });
      assert.equal(made.code, 0, made.stderr);
      const ok = await fetch(`${server.url}/api/2.0/mlflow/experiments/get?experiment_id=0`, {
        headers: { authorization: `Bearer ${made.stdout.trim()}` },
      });
      assert.equal(ok.status, 200);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it('warns when serving without authentication on a non-loopback address', async () => {
    const dir = await tempDir('cairn-open-');
    const server = await startServerProcess(
      [
        '--host',
        '0.0.0.0',
        '--insecure-no-auth',
        '--store',
        `sqlite://${join(dir, 'c.db')}`,
        '--artifacts',
        `file://${dir}/a`,
      ],
      { cwd: dir },
    );
    try {
      assert.match(server.stderr(), /^warning: authentication is OFF while listening on 0\.0\.0\.0/m);
      assert.ok(server.line.includes('auth: off'));
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it('refuses bad flags with a usage error and a port in use with one clear line', async () => {
    const dir = await tempDir('cairn-flags-');
    const env = { HOME: dir };
    for (const args of [
      ['--port', 'abc'],
      ['--auth', '--insecure-no-auth'],
      ['--max-artifact-size', '5XB'],
      ['--store', 'mysql://x'],
    ]) {
      const r = await cairn(['server', ...args], { cwd: dir, env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^error: /m);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    const server = await startServerProcess(['--store', `sqlite://${join(dir, 'c.db')}`], { cwd: dir, env });
    try {
      const port = new URL(server.url).port;
      const r = await cairn(['server', '--port', port, '--store', `sqlite://${join(dir, 'd.db')}`], {
        cwd: dir,
        env,
      });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /the port is in use/);
    } finally {
      await server.stop();
    }
  });
});
