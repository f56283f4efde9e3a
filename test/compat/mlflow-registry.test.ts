import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pythonGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';
import { type RunningServer, startServerProcess } from './server-process.ts';

type Json = Record<string, unknown>;

const gate = pythonGate();
const SCRIPTS = fileURLToPath(new URL('../python/', import.meta.url));

/** Runs a script of test/python with MLflow's client pointed at the server; parses its JSON output. */
function python(script: string, url: string, cwd: string): Promise<Json> {
  const child = spawn(gate.value as string, [join(SCRIPTS, script)], {
    cwd,
    env: { ...process.env, MLFLOW_TRACKING_URI: url, GIT_PYTHON_REFRESH: 'quiet' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${script} exited ${code}:\n${stderr.slice(-4000)}`));
      else resolve(JSON.parse(stdout.slice(stdout.indexOf('{'))) as Json);
    });
  });
}

describe('MLflow Python client against cairn server: model registry', { skip: gate.skip }, () => {
  let server: RunningServer;
  let dir = '';
  before(async () => {
    dir = await tempDir('cairn-mlflow-registry-');
    server = await startServerProcess(
      ['--store', `sqlite://${join(dir, 'cairn.db')}`, '--artifacts', `file://${join(dir, 'artifacts')}`],
      { cwd: dir },
    );
  });
  after(async () => {
    await server?.stop();
  });

  it('registers, versions, aliases, tags, searches and deletes with MlflowClient', async () => {
    const r = await python('registry_client.py', server.url, dir);
    assert.equal(r.registered_version, '1');
    assert.equal(r.registered_run_id, r.run_id);
    assert.match(r.registered_source as string, /^mlflow-artifacts:\/\d+\/[0-9a-f]{32}\/artifacts\/model$/);
    assert.equal(r.second_version, '2');
    assert.deepEqual([r.alias_version, r.alias_aliases], ['2', ['champion']]);
    assert.equal(r.model_description, 'from python');
    assert.deepEqual(r.model_tags, { team: 'growth' });
    assert.deepEqual(r.model_aliases, { champion: '2' });
    assert.deepEqual(r.models, ['compat-model']);
    assert.deepEqual(r.versions, ['1', '2']);
    assert.equal(r.download, r.registered_source);
    const tags = r.v1_tags as Record<string, string>;
    assert.equal(tags['cairn.lineage.run_id'], r.run_id);
    assert.equal(tags['cairn.lineage.git_commit'], 'c0ffee');
    assert.match(tags['cairn.package_hash'] as string, /^sha256:[0-9a-f]{64}$/);
    assert.equal((r.second_tags as Record<string, string>).k, 'v');
    assert.equal((r.second_tags as Record<string, string>)['cairn.package_hash'], tags['cairn.package_hash']);
    assert.deepEqual(r.errors, {
      forged_tag: 'INVALID_PARAMETER_VALUE',
      bad_source: 'INVALID_PARAMETER_VALUE',
      missing: 'RESOURCE_DOES_NOT_EXIST',
      duplicate: 'RESOURCE_ALREADY_EXISTS',
      alias_gone: 'INVALID_PARAMETER_VALUE',
      deleted: 'RESOURCE_DOES_NOT_EXIST',
    });
    assert.deepEqual(r.after_delete, ['1']);
    assert.equal(r.renamed, 'compat-renamed');
  });

  it('logs a scikit-learn model (MLflow 3 logged model), registers it and loads it by alias with pyfunc', async () => {
    const r = await python('registry_sklearn.py', server.url, dir);
    assert.equal(r.predictions_equal, true, 'pyfunc predicts what the trained model predicts');
    assert.equal(r.proba_close, true);
    assert.equal(r.n, 60);
    assert.match(r.model_id as string, /^m-[0-9a-f]{32}$/);
    assert.equal(r.model_uri, `models:/${r.model_id}`);
    assert.equal(r.version, '1');
    assert.deepEqual([r.version_source, r.version_run_id], [`models:/${r.model_id}`, r.run_id]);
    assert.equal(r.logged_status, 'READY');
    assert.match(
      (r.logged_tags as Record<string, string>)['mlflow.modelVersions'] as string,
      /"name": "sk-churn", "version": 1/,
    );
    const tags = r.version_tags as Record<string, string>;
    assert.equal(tags['cairn.lineage.model_id'], r.model_id);
    assert.equal(tags['cairn.lineage.git_commit'], '5eed');
    const res = await fetch(`${server.url}/api/v1/models/sk-churn/versions/1/lineage?verify=true`);
    const lineage = (await res.json()) as { package: Json; logged_model: Json; run: Json };
    assert.equal(res.status, 200);
    assert.equal(lineage.package.hash, tags['cairn.package_hash']);
    assert.equal(lineage.package.verified, true);
    assert.ok((lineage.package.files as number) >= 5, 'MLmodel, the model file and its environment files');
    assert.deepEqual([lineage.logged_model.model_id, lineage.logged_model.found], [r.model_id, true]);
    assert.equal(lineage.run.run_id, r.run_id);
  });
});
