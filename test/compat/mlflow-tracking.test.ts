import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cairn, cleanEnv } from '../support/cli.ts';
import { pythonGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';
import { type RunningServer, startServerProcess } from './server-process.ts';

const gate = pythonGate();
const SCRIPT = fileURLToPath(new URL('../python/mlflow_tracking_client.py', import.meta.url));

interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
  result: Record<string, unknown>;
}

/** Runs one scenario of mlflow_tracking_client.py with the real MLflow client against `url`. */
function mlflowClient(
  scenario: string,
  url: string,
  env: NodeJS.ProcessEnv = {},
  suffix = randomBytes(4).toString('hex'),
): Promise<ScriptRun> {
  const child = spawn(gate.value as string, [SCRIPT, scenario, suffix], {
    env: cleanEnv({
      MLFLOW_TRACKING_URI: url,
      // Fail fast instead of MLflow's default seven retries with backoff.
      MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0',
      MLFLOW_HTTP_REQUEST_TIMEOUT: '60',
      PYTHONWARNINGS: 'ignore',
      ...env,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      let result: Record<string, unknown> = {};
      try {
        result = JSON.parse(last) as Record<string, unknown>;
      } catch {
        result = {};
      }
      resolve({ code, stdout, stderr, result });
    });
  });
}

function assertPassed(run: ScriptRun): void {
  assert.equal(run.code, 0, `the MLflow client failed:\n${run.stderr.split('\n').slice(-25).join('\n')}`);
}

describe('MLflow Python client compatibility', { skip: gate.skip, concurrency: true }, () => {
  describe('the MLflow Python client against cairn server', { concurrency: true }, () => {
    let server: RunningServer;
    let dir = '';
    before(async () => {
      dir = await tempDir('cairn-compat-');
      server = await startServerProcess(
        ['--store', `sqlite://${join(dir, 'cairn.db')}`, '--artifacts', `file://${join(dir, 'artifacts')}`],
        { cwd: dir, env: { HOME: dir } },
      );
    });
    after(async () => {
      assert.equal(await server?.stop(), 0);
    });

    it('creates, finds, searches, renames, tags, deletes and restores experiments', async () => {
      const run = await mlflowClient('experiments', server.url);
      assertPassed(run);
      assert.match(String(run.result.experiment_id), /^\d+$/);
    });

    it('starts and ends runs, logs params, metrics with steps, batches, tags and inputs, and searches them', async () => {
      const run = await mlflowClient('runs', server.url);
      assertPassed(run);
      assert.equal((run.result.runs as string[]).length, 3);
    });

    it('logs and downloads artifacts through the proxy, with odd names and a 3 MB file', async () => {
      const run = await mlflowClient('artifacts', server.url);
      assertPassed(run);
      assert.match(String(run.result.artifact_uri), /^mlflow-artifacts:\/\d+\/[0-9a-f]{32}\/artifacts$/);
      assert.deepEqual(run.result.files, [
        'tree/confusion matrix.png',
        'tree/data.json',
        'tree/deeper',
        'tree/résumé.txt',
      ]);
    });
  });

  describe('the MLflow Python client against cairn server --auth', () => {
    let server: RunningServer;
    let store = '';
    let dir = '';
    before(async () => {
      dir = await tempDir('cairn-compat-auth-');
      store = `sqlite://${join(dir, 'cairn.db')}`;
      server = await startServerProcess(
        ['--auth', '--store', store, '--artifacts', `file://${join(dir, 'artifacts')}`],
        {
          cwd: dir,
          env: { HOME: dir },
        },
      );
    });
    after(async () => {
      assert.equal(await server?.stop(), 0);
    });

    const token = async (role: string) => {
      const made = await cairn(['token', 'create', '--role', role, '--store', store], { cwd: dir });
      assert.equal(made.code, 0, made.stderr);
      return made.stdout.trim();
    };

    it('is refused without MLFLOW_TRACKING_TOKEN and works with an editor token; a viewer token only reads', async () => {
      const suffix = randomBytes(4).toString('hex');
      const editor = await mlflowClient(
        'auth',
        server.url,
        { MLFLOW_TRACKING_TOKEN: await token('editor') },
        suffix,
      );
      assertPassed(editor);
      assert.match(String(editor.result.anonymous), /UNAUTHENTICATED: authentication required/);
      const viewer = await mlflowClient(
        'viewer',
        server.url,
        { MLFLOW_TRACKING_TOKEN: await token('viewer') },
        suffix,
      );
      assertPassed(viewer);
      assert.match(String(viewer.result.denied), /PERMISSION_DENIED: token:\S* has the viewer role/);
    });
  });
});
