import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MLFLOW_API_VERSION } from '../../src/server/mlflow/mlflow-health-routes.ts';
import { cairn, cleanEnv } from '../support/cli.ts';
import { freshDatabase } from '../support/pg-database.ts';
import { pgGate, pythonGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';
import { type RunningServer, startServerProcess } from './server-process.ts';

const gate = pythonGate();
const postgres = pgGate();
const SCRIPT = fileURLToPath(new URL('../python/mlflow_tracking_client.py', import.meta.url));
const MLFLOW3_SCRIPT = fileURLToPath(new URL('../python/mlflow3_client.py', import.meta.url));

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
  return python([SCRIPT, scenario, suffix], url, env);
}

/** Runs a script of test/python with MLflow's client pointed at `url`; its last stdout line is JSON. */
function python(args: string[], url: string, env: NodeJS.ProcessEnv = {}): Promise<ScriptRun> {
  const child = spawn(gate.value as string, args, {
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
      assert.equal(
        editor.result.anonymous_version,
        MLFLOW_API_VERSION,
        'the version is public, as in MLflow',
      );
    });
  });

  for (const store of ['sqlite', 'postgres'] as const)
    describe(`MLflow 3 through the client against cairn server (${store}), checked against MLflow's own store`, {
      skip: store === 'postgres' ? postgres.skip : false,
    }, () => {
      let server: RunningServer;
      let dir = '';
      before(async () => {
        dir = await tempDir('cairn-compat-mlflow3-');
        const uri =
          store === 'sqlite'
            ? `sqlite://${join(dir, 'cairn.db')}`
            : await freshDatabase(postgres.value as string, 'cairn_compat');
        server = await startServerProcess(
          ['--store', uri, '--artifacts', `file://${join(dir, 'artifacts')}`],
          {
            cwd: dir,
            env: { HOME: dir },
          },
        );
      });
      after(async () => {
        assert.equal(await server?.stop(), 0);
      });

      it('keeps model metrics, model inputs, searches, bulk histories, errors, types and locations as MLflow does', async () => {
        const suffix = randomBytes(4).toString('hex');
        const run = await python([MLFLOW3_SCRIPT, suffix], server.url, { CAIRN_COMPAT_TARGET: 'cairn' });
        assertPassed(run);
        const r = run.result as Record<string, Record<string, unknown>> & {
          version: string;
          health: unknown;
        };
        const models = (r.logged_models ?? {}) as {
          metrics?: Record<string, unknown[][]>;
          search?: Record<string, string[]>;
          model_inputs?: Record<string, string[]>;
        };
        const metrics = models.metrics ?? {};
        assert.deepEqual(
          metrics.gbdt?.map((m) => m.slice(0, 2)),
          [
            ['train_loss', 0.25],
            ['acc', 0.91],
            ['acc', 0.93],
          ],
          'get_logged_model(id).metrics holds what was logged against the model',
        );
        assert.deepEqual(models.search?.['acc > 0.8 on d1'], ['gbdt']);
        assert.deepEqual(models.model_inputs, { train: ['linear'], evaluate: ['gbdt', 'linear'] });
        assert.match(String(r.unknown_model), /Logged model with ID 'm-0+' not found/);
        assert.deepEqual(r.sampled, {
          '10 None': 16,
          '1 None': 2,
          '7 (2, 9)': 8,
          '2500 None': 66,
          '3 (3, 3)': 4,
        });
        assert.equal((r.unknown_routes as unknown as string[]).length, 4);
        assert.equal(r.version, MLFLOW_API_VERSION);
        assert.deepEqual(r.health, [200, 'OK']);
        const relative = r.relative as { location: string; run_id: string; escape: string };
        assert.equal(relative.location, `mlflow-artifacts:/rel-${suffix}/churn`);
        assert.equal(
          await readFile(
            join(
              dir,
              'artifacts',
              `rel-${suffix}`,
              'churn',
              relative.run_id,
              'artifacts',
              'notes',
              'readme.md',
            ),
            'utf8',
          ),
          'kept below the root',
          'the file is below the artifact root, where the relative location points',
        );
        assert.match(relative.escape, /must stay inside the artifact root/);
      });
    });
});
