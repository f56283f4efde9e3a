/**
 * `cairn serve` as a user runs it: one clear line and exit code 2 for bad input, 1 for a model
 * that cannot be served; SIGTERM lets every request in flight finish, flushes the prediction log
 * and exits 0; `--workers 2` answers on one port, aggregates /metrics and applies a change to
 * every worker.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { cairn, startCairn } from '../support/cli.ts';
import { cairnInProcess } from '../support/cli-in-process.ts';
import { postJson, type ServingModels, sampleRows, servingModels, v2Body } from '../support/serving.ts';
import { tempDir } from '../support/tmp-dir.ts';

let models: ServingModels;
let cwd = '';

before(async () => {
  models = await servingModels();
  cwd = await tempDir('cairn-serve-cli-');
});

/** Starts `cairn serve … --port 0 --json` and waits for its ready line. */
async function serve(
  args: string[],
): Promise<{ child: ChildProcess; url: string; ready: Record<string, unknown>; stderr: () => string }> {
  const child = startCairn(['serve', ...args, '--port', '0', '--json'], { cwd });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line && stdout.includes('\n')) resolve(JSON.parse(line) as Record<string, unknown>);
    });
    child.on('exit', (code) => reject(new Error(`cairn serve exited ${code} before serving: ${stderr}`)));
  });
  return { child, url: ready.url as string, ready, stderr: () => stderr };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on('exit', (code) => resolve(code));
  });
}

async function metric(url: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(pattern.exec(text)?.[1] ?? 0);
}

describe('cairn serve', () => {
  it('refuses bad input with one line and the right exit code', async () => {
    const nothing = await cairnInProcess(['serve'], { cwd });
    assert.equal(nothing.code, 2);
    assert.match(
      nothing.stderr,
      /^error: nothing to serve: give model URIs or --config — e\.g\. cairn serve \.\/model/,
    );
    const port = await cairnInProcess(['serve', models.logistic, '--port', 'http'], { cwd });
    assert.equal(port.code, 2);
    assert.match(port.stderr, /--port http is not a whole number from 0 to 65535/);
    const twice = await cairnInProcess(['serve', models.logistic, `x/${'logistic'}`], { cwd });
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /two models would be served as logistic/);
    await writeFile(
      join(cwd, 'bad.yaml'),
      'endpoints:\n  - name: a\n    variants:\n      - {name: p, model: ./m, weight: -1}\n',
    );
    const config = await cairnInProcess(['serve', '--config', 'bad.yaml'], { cwd });
    assert.equal(config.code, 2);
    assert.match(config.stderr, /serving config: endpoint a: variants\[0\]\.weight must be a number from 0/);
    for (const r of [nothing, port, twice, config])
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    const missing = await cairn(['serve', './nowhere', '--port', '0', '--prediction-log', 'off'], { cwd });
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /error: endpoint nowhere, variant primary \(\.\/nowhere\): no model package directory at \.\/nowhere/,
    );
  });

  it('finishes every request in flight on SIGTERM, flushes the prediction log, and exits 0', async () => {
    const logDir = join(cwd, 'predictions');
    const { child, url } = await serve([
      `trees=${models.gbdt}`,
      '--max-batch-size',
      '1',
      '--prediction-log',
      logDir,
    ]);
    const n = 24;
    const answers = Array.from({ length: n }, (_, i) =>
      postJson(`${url}/v2/models/trees/infer`, v2Body(sampleRows(1500, i)), { 'x-request-id': `drain-${i}` }),
    );
    const inFlight = /^cairn_inference_in_flight\{endpoint="trees"\} (\d+)/m;
    while ((await metric(url, inFlight)) < n - 1) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGTERM');
    const statuses = (await Promise.all(answers)).map((a) => a.status);
    assert.deepEqual(statuses, new Array(n).fill(200));
    assert.equal(await exited(child), 0);
    await assert.rejects(fetch(`${url}/v2/health/ready`), 'the port is closed');
    const logged = new Set(
      readdirSync(logDir, { recursive: true })
        .filter((f) => String(f).endsWith('.jsonl'))
        .flatMap((f) =>
          readFileSync(join(logDir, String(f)), 'utf8')
            .trim()
            .split('\n'),
        )
        .map((line) => (JSON.parse(line) as { request_id: string }).request_id),
    );
    assert.equal(logged.size, n, 'every answered request reached the prediction log before exit');
  });

  it('runs --workers 2 on one port, with metrics and changes applied across the workers', async () => {
    const token = join(cwd, 'admin.token');
    await writeFile(token, 'a-long-enough-admin-token-1234\n');
    const { child, url, ready } = await serve([
      `income=${models.logistic}`,
      '--workers',
      '2',
      '--prediction-log',
      'off',
      '--admin-token-file',
      token,
    ]);
    try {
      assert.equal(ready.workers, 2);
      const n = 60;
      const answers = await Promise.all(
        Array.from({ length: n }, () => postJson(`${url}/v2/models/income/infer`, v2Body(sampleRows(2)))),
      );
      assert.ok(answers.every((a) => a.status === 200));
      const served =
        /^cairn_inference_requests_total\{endpoint="income",model="logistic",version="[0-9a-f]+",variant="primary",code="200"\} (\d+)/m;
      assert.equal(await metric(url, served), n, '/metrics adds up both workers');
      const applied = await fetch(`${url}/api/v1/serving`, {
        method: 'PUT',
        headers: {
          authorization: 'Bearer a-long-enough-admin-token-1234',
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          endpoints: [{ name: 'income', variants: [{ name: 'primary', model: models.gbdt }] }],
        }),
      });
      assert.equal(applied.status, 200, await applied.clone().text());
      const after = await Promise.all(
        Array.from({ length: 40 }, () => postJson(`${url}/v2/models/income/infer`, v2Body(sampleRows(1)))),
      );
      assert.deepEqual(
        new Set(after.map((a) => a.headers.get('x-cairn-model'))),
        new Set(['gbdt']),
        'both workers switched',
      );
      const refused = await fetch(`${url}/api/v1/serving`, {
        method: 'PUT',
        headers: {
          authorization: 'Bearer a-long-enough-admin-token-1234',
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          endpoints: [{ name: 'income', variants: [{ name: 'primary', model: '/nowhere' }] }],
        }),
      });
      assert.equal(refused.status, 404);
      const still = await postJson(`${url}/v2/models/income/infer`, v2Body(sampleRows(1)));
      assert.equal(still.headers.get('x-cairn-model'), 'gbdt');
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exited(child), 0);
    }
  });
});
