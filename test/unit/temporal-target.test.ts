// biome-ignore-all lint/suspicious/noTemplateCurlyInString: fixtures are cairn.yaml text with its ${…} syntax.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTemporalUri, parseTemporalUri } from '../../src/engine/temporal/temporal-target.ts';
import { loadConfig, remoteSettingsFromEnv } from '../../src/kernel/config.ts';
import { loadPipeline } from '../../src/pipeline/definition/load-pipeline.ts';
import { writeFiles } from '../support/cli.ts';
import { tempDir } from '../support/tmp-dir.ts';

describe('temporal:// URIs', () => {
  it('names a service and a namespace, with the default port and namespace', () => {
    assert.deepEqual(parseTemporalUri('temporal://10.0.0.5', '--executor'), {
      address: '10.0.0.5:7233',
      namespace: 'default',
      tls: false,
      uri: 'temporal://10.0.0.5',
    });
    assert.deepEqual(parseTemporalUri('temporals://ml.tmprl.cloud:7233/ml-team.a1b2c/', 'executor.uri'), {
      address: 'ml.tmprl.cloud:7233',
      namespace: 'ml-team.a1b2c',
      tls: true,
      uri: 'temporals://ml.tmprl.cloud:7233/ml-team.a1b2c/',
    });
    assert.equal(parseTemporalUri('temporal://[::1]:17233/x', '--executor').address, '[::1]:17233');
    assert.ok(isTemporalUri('temporal://h') && !isTemporalUri('local') && !isTemporalUri('http://h'));
  });

  it('refuses malformed URIs, naming the setting and the form to use', () => {
    for (const [uri, why] of [
      ['temporal://h:99999', /port 99999 is out of range/],
      ['temporal://h:7233/a/b', /not a temporal:\/\/ URI/],
      ['temporal://:7233', /"" is not a host name/],
      ['temporal://h/bad%20ns', /"bad ns" is not a namespace name/],
    ] as const)
      assert.throws(
        () => parseTemporalUri(uri, '--executor'),
        (err: { code: string; message: string; hint: string }) =>
          err.code === 'INVALID_ARGUMENT' &&
          err.message.startsWith(`--executor ${uri}: `) &&
          why.test(err.message) &&
          err.hint.includes('temporal://host:7233/namespace'),
      );
  });
});

describe('executor settings', () => {
  it('default to the local executor and come from the config files and CAIRN_EXECUTOR_*', async () => {
    const root = await tempDir();
    await writeFiles(root, {
      '.cairn/config.yaml': 'executor:\n  uri: temporal://tq:7233/ml\n  queue: cpu\n',
    });
    const files = await loadConfig({ root, env: {} });
    assert.deepEqual(files.executor, {
      uri: 'temporal://tq:7233/ml',
      queue: 'cpu',
      heartbeat_timeout: 30,
      attempts: 3,
    });
    const env = await loadConfig({
      root,
      env: {
        CAIRN_EXECUTOR_QUEUE: 'gpu',
        CAIRN_EXECUTOR_HEARTBEAT_TIMEOUT: '2',
        CAIRN_EXECUTOR_ATTEMPTS: '5',
      },
    });
    assert.deepEqual(env.executor, {
      uri: 'temporal://tq:7233/ml',
      queue: 'gpu',
      heartbeat_timeout: 2,
      attempts: 5,
    });
    assert.equal((await loadConfig({ root: await tempDir(), env: {} })).executor.uri, 'local');
    await writeFiles(root, { '.cairn/config.yaml': 'executor:\n  heartbeat_timeout: 0\n' });
    await assert.rejects(
      loadConfig({ root, env: {} }),
      /config\.yaml:2: executor\.heartbeat_timeout must be a positive integer/,
    );
  });

  it('give a worker the S3 settings of CAIRN_S3_* for the remotes its tasks name', () => {
    assert.deepEqual(
      remoteSettingsFromEnv({
        CAIRN_S3_ACCESS_KEY_ID: 'AK',
        CAIRN_S3_SECRET_ACCESS_KEY: 'SK',
        CAIRN_S3_PATH_STYLE: 'true',
        CAIRN_S3_REGION: '',
        HOME: '/root',
      }),
      { access_key_id: 'AK', secret_access_key: 'SK', path_style: true },
    );
  });

  it("reads a stage's task queue from cairn.yaml, through ${…} too", async () => {
    const root = await tempDir();
    await writeFiles(root, {
      'params.yaml': 'pool: gpu\n',
      'cairn.yaml': 'stages:\n  train:\n    cmd: echo\n    queue: ${pool}\n  report:\n    cmd: echo\n',
    });
    const pipeline = await loadPipeline(root);
    assert.deepEqual(
      pipeline?.stages.map((s) => [s.name, s.queue]),
      [
        ['report', undefined],
        ['train', 'gpu'],
      ],
    );
    await writeFiles(root, { 'cairn.yaml': 'stages:\n  train:\n    cmd: echo\n    queue: big gpu\n' });
    await assert.rejects(
      loadPipeline(root),
      /cairn\.yaml:4: stage "train": queue must be a task queue name \(letters, digits, "_", "\.", ":" and "-"\), not "big gpu"/,
    );
  });
});
