import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type RunningServer, startServerProcess } from '../compat/server-process.ts';
import { cairn, newWorkspace } from '../support/cli.ts';
import { tempDir } from '../support/tmp-dir.ts';

type Running = RunningServer;

const startServer = startServerProcess;

async function stop(server: Running): Promise<number | null> {
  return server.stop();
}

describe('cairn server (the real process)', () => {
  it("serves a workspace's tracking store, keeps artifacts in .cairn/artifacts and stops on SIGTERM", async () => {
    const ws = await newWorkspace({ git: false });
    const server = await startServer([], { cwd: ws });
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
      assert.equal(await stop(server), 0, server.stderr());
    }
  });

  it('defaults to ~/.cairn outside a workspace', async () => {
    const home = await tempDir('cairn-home-');
    const server = await startServer([], { cwd: home, env: { HOME: home } });
    try {
      assert.ok(server.line.includes(`store: sqlite://${join(home, '.cairn', 'cairn.db')}`), server.line);
      assert.ok(server.line.includes(`artifacts: file://${join(home, '.cairn', 'artifacts')}`), server.line);
      assert.ok(existsSync(join(home, '.cairn', 'cairn.db')));
    } finally {
      assert.equal(await stop(server), 0);
    }
  });

  it('finishes an upload in flight after SIGTERM, refusing new connections, then exits 0', async () => {
    const dir = await tempDir('cairn-drain-');
    const server = await startServer(
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
      `PUT /api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/slow.bin HTTP/1.1\r\nHost: x\r\n` +
        `Content-Length: ${total}\r\nContent-Type: application/octet-stream\r\n\r\n`,
    );
    socket.write(Buffer.alloc(total / 2, 7));
    await sleep(200);
    server.child.kill('SIGTERM');
    await sleep(500);
    assert.equal(server.child.exitCode, null, 'still running while the upload is in flight');
    await assert.rejects(
      fetch(`${server.url}/healthz`),
      (e: Error & { cause?: { code?: string } }) => e.cause?.code === 'ECONNREFUSED',
      'no new connections once stopping',
    );
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
    const server = await startServer(['--auth', '--store', store, '--artifacts', `file://${dir}/art`], {
      cwd: dir,
    });
    try {
      assert.ok(server.line.includes('auth: on'));
      await sleep(100);
      assert.match(server.stderr(), /cairn token create --role admin --store/);
      const anonymous = await fetch(`${server.url}/api/2.0/mlflow/experiments/get?experiment_id=0`);
      assert.equal(anonymous.status, 401);
      const made = await cairn(['token', 'create', '--role', 'viewer', '--store', store], { cwd: dir });
      assert.equal(made.code, 0, made.stderr);
      const ok = await fetch(`${server.url}/api/2.0/mlflow/experiments/get?experiment_id=0`, {
        headers: { authorization: `Bearer ${made.stdout.trim()}` },
      });
      assert.equal(ok.status, 200);
    } finally {
      assert.equal(await stop(server), 0);
    }
  });

  it('warns when serving without authentication on a non-loopback address', async () => {
    const dir = await tempDir('cairn-open-');
    const server = await startServer(
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
      assert.equal(await stop(server), 0);
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
    const server = await startServer(['--store', `sqlite://${join(dir, 'c.db')}`], { cwd: dir, env });
    try {
      const port = new URL(server.url).port;
      const r = await cairn(['server', '--port', port, '--store', `sqlite://${join(dir, 'd.db')}`], {
        cwd: dir,
        env,
      });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /the port is in use/);
    } finally {
      await stop(server);
    }
  });
});
