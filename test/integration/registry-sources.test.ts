import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { json, post, startTestServer, type TestServer, variants } from './server-harness.ts';

type Json = Record<string, unknown>;

/**
 * Which model-version sources the server accepts: MLflow's checks (a source inside run or
 * logged-model artifacts must name that run or model; no `..`) and Cairn's (no local files
 * outside the artifact root, no loopback or link-local hosts).
 */
describe('model version sources', () => {
  let server: TestServer;
  let runId = '';
  let otherRunId = '';
  let artifactUri = '';
  before(async () => {
    server = await startTestServer(variants()[0] as ReturnType<typeof variants>[number]);
    const experimentId = json(
      await post(server.app, '/experiments/create', { name: 'sources' }),
    ).experiment_id;
    const run = async () =>
      (json(await post(server.app, '/runs/create', { experiment_id: experimentId })).run as Json)
        .info as Json;
    const info = await run();
    runId = info.run_id as string;
    artifactUri = info.artifact_uri as string;
    otherRunId = (await run()).run_id as string;
    await post(server.app, '/registered-models/create', { name: 'src' });
  });
  after(async () => {
    await server?.close();
  });

  const create = (source: string, extra: Json = {}) =>
    post(server.app, '/model-versions/create', { name: 'src', source, ...extra });
  const refused = async (source: string, extra: Json, message: RegExp) => {
    const res = await create(source, extra);
    assert.equal(res.statusCode, 400, `${source} was accepted: ${res.body}`);
    assert.equal(json(res).error_code, 'INVALID_PARAMETER_VALUE');
    assert.match(json(res).message as string, message, source);
  };

  it('accepts sources inside the named run, and object-store or remote sources', async () => {
    for (const [source, extra] of [
      [`runs:/${runId}/model`, { run_id: runId }],
      [`${artifactUri}/model`, { run_id: runId }],
      ['s3://bucket/models/churn', {}],
      ['gs://bucket/models/churn', { run_id: runId }],
      ['https://models.example.com/churn.tar.gz', {}],
    ] as const) {
      const res = await create(source, extra);
      assert.equal(res.statusCode, 200, `${source}: ${res.body}`);
    }
  });

  it('refuses local files outside the artifact root, and local sources without their run', async () => {
    await refused('file:///etc/passwd', {}, /local paths must be inside the server's artifact root/);
    await refused('/etc/passwd', { run_id: runId }, /artifact root/);
    await refused(
      `file://${server.artifactsDir}/x/model`,
      {},
      /the run_id request parameter has to be specified/,
    );
    await refused(
      `file://${server.artifactsDir}/x/model`,
      { run_id: runId },
      /contained within the artifact directory/,
    );
  });

  it('refuses loopback, link-local and metadata hosts however they are written', async () => {
    for (const source of [
      'http://127.0.0.1:5000/model',
      'http://localhost/model',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/model',
      'http://2130706433/model',
      'http://0x7f.1/model',
      'https://[::ffff:127.0.0.1]/model',
      'ftp://127.0.0.1/model',
      'mlflow-artifacts://localhost:5000/1/x/artifacts/model',
    ])
      await refused(source, {}, /this machine or a link-local address/);
  });

  it("refuses sources that another run's or model's artifacts contain, or that climb with ..", async () => {
    await refused(`${artifactUri}/model`, { run_id: otherRunId }, /run_id request parameter must identify/);
    await refused(`${artifactUri}/model`, {}, /run_id request parameter must identify/);
    await refused(
      'mlflow-artifacts:/999/elsewhere/model',
      { run_id: runId },
      /run_id request parameter must identify/,
    );
    // As in MLflow: a proxy URL is compared with the run's root by scheme and host too.
    const proxied = `http://tracking.example.com/api/2.0/mlflow-artifacts/artifacts/${artifactUri.slice('mlflow-artifacts:/'.length)}/model`;
    await refused(proxied, { run_id: runId }, /run_id request parameter must identify/);
    await refused(`runs:/${runId}/model`, { run_id: otherRunId }, /run_id request parameter must identify/);
    await refused(`runs:/${runId}/model`, {}, /run_id request parameter must identify/);
    await refused('s3://bucket/a/../../b', {}, /".." segment|relative path/);
    await refused('s3://bucket/a/%2e%2e/b', {}, /".." segment|relative path/);
    await refused('models://other-registry/m/1', {}, /active model registry/);
    await refused(
      'models:/m-0123456789abcdef0123456789abcdef',
      {},
      /model_id request parameter must identify/,
    );
  });
});
