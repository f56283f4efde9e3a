import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  type PurgeDeps,
  type PurgeReport,
  purgeDeleted,
} from '../../src/registry/retention/purge-deleted.ts';
import { ArtifactFiles } from '../../src/tracking/artifacts/artifact-files.ts';
import { ArtifactRoot } from '../../src/tracking/artifacts/artifact-root.ts';
import { SqlTrackingStore } from '../../src/tracking/sql/sql-tracking-store.ts';
import { cairn, newWorkspace } from '../support/cli.ts';
import { tempDir } from '../support/tmp-dir.ts';
import { openVariant, S3_SETTINGS, type TestServer, variants } from './server-harness.ts';

const DAY = 86_400_000;
type Opened = Omit<TestServer, 'app'>;

/** Every blob key under an artifact URI of the root ([] when none). */
async function keysUnder(server: Opened, uri: string): Promise<string[]> {
  const path = new ArtifactRoot(server.artifactsUri).pathOf(uri) as string[];
  const keys: string[] = [];
  for await (const b of server.backends.deps.artifacts.list(`${path.join('/')}/`)) keys.push(b.key);
  return keys.sort();
}

/**
 * A store with everything gc must tell apart (deleted 40 days ago unless said otherwise):
 * runs a1 (deleted), a2 (live), a3 (deleted, registered as a model version), a4 (deleted
 * yesterday) in live experiment A; experiment B deleted with a run and a logged model; C deleted,
 * holding the run of a model version; D deleted, whose location holds live experiment E's; F
 * deleted, with its artifacts outside the artifact root.
 */
async function populate(server: Opened, outside: string) {
  const { tracking, registry, metadata, artifacts } = server.backends.deps;
  const loggedModels = server.backends.deps.loggedModels as NonNullable<
    typeof server.backends.deps.loggedModels
  >;
  const files = new ArtifactFiles(artifacts);
  const root = new ArtifactRoot(server.artifactsUri);
  const put = async (uri: string, name: string, text: string) =>
    files.write([...(root.pathOf(uri) as string[]), ...name.split('/')], Readable.from([text]), 1e6);
  const ago = (days: number) => Date.now() - days * DAY;
  const age = async (what: 'run' | 'experiment', id: string, days: number) =>
    what === 'run'
      ? metadata.run('UPDATE tracking_runs SET deleted_time = ? WHERE run_uuid = ?', [ago(days), id])
      : metadata.run('UPDATE tracking_experiments SET last_update_time = ? WHERE experiment_id = ?', [
          ago(days),
          Number(id),
        ]);
  const run = async (experimentId: string, files: Record<string, string>) => {
    const r = await tracking.createRun({ experiment_id: experimentId });
    await tracking.logBatch(r.info.run_id, {
      metrics: [{ key: 'loss', value: 0.5, step: 0, timestamp: 1 }],
      params: [{ key: 'lr', value: '0.1' }],
      tags: [{ key: 'team', value: 'gc' }],
    });
    for (const [name, text] of Object.entries(files)) await put(r.info.artifact_uri, name, text);
    return r.info;
  };

  const A = await tracking.createExperiment('A');
  const a1 = await run(A, { 'model/model.onnx': 'a1-model', 'my notes.txt': 'a1 notes' });
  const a2 = await run(A, { 'model.onnx': 'a2-live' });
  const a3 = await run(A, { 'model/model.onnx': 'a3-registered' });
  const a4 = await run(A, { 'x.txt': 'a4-recent' });
  for (const r of [a1, a3, a4]) await tracking.deleteRun(r.run_id);
  await age('run', a1.run_id, 40);
  await age('run', a3.run_id, 40);
  await age('run', a4.run_id, 1);

  const B = await tracking.createExperiment('B');
  const b1 = await run(B, { 'm.bin': 'b1-bytes' });
  const model = await loggedModels.createLoggedModel({
    experiment_id: B,
    name: 'b-model',
    source_run_id: b1.run_id,
  });
  await put(model.info.artifact_uri, 'MLmodel', 'flavors: {}');
  await tracking.deleteExperiment(B);
  await age('experiment', B, 40);

  const C = await tracking.createExperiment('C');
  const c1 = await run(C, { 'model/model.onnx': 'c1-registered' });
  await tracking.deleteExperiment(C);
  await age('experiment', C, 40);

  await registry.createRegisteredModel('kept');
  await registry.createModelVersion({ name: 'kept', source: `runs:/${a3.run_id}/model`, run_id: a3.run_id });
  await registry.createModelVersion({ name: 'kept', source: `runs:/${c1.run_id}/model`, run_id: c1.run_id });

  const D = await tracking.createExperiment('D', { artifact_location: `${server.artifactsUri}/shared` });
  const d1 = await run(D, { 'd.txt': 'd1' });
  const E = await tracking.createExperiment('E', { artifact_location: `${server.artifactsUri}/shared/e` });
  const e1 = await run(E, { 'e.txt': 'e1-live' });
  await tracking.deleteExperiment(D);
  await age('experiment', D, 40);

  // Recorded elsewhere (another workspace's artifacts): the server's store does not hold them.
  await mkdir(join(outside, 'f'), { recursive: true });
  await writeFile(join(outside, 'f', 'precious.txt'), 'not the server’s to delete');
  const sql = new SqlTrackingStore(metadata, { defaultArtifactRoot: `file://${outside}` });
  const F = await sql.createExperiment('F', { artifact_location: `file://${join(outside, 'f')}` });
  const f1 = await run(F, {});
  await tracking.deleteExperiment(F);
  await age('experiment', F, 40);

  return { A, B, C, D, E, F, a1, a2, a3, a4, b1, c1, d1, e1, f1, model };
}

const sizeOf = (...texts: string[]) => texts.reduce((n, t) => n + Buffer.byteLength(t), 0);

for (const variant of variants())
  describe(`cairn server gc (${variant.name})`, { skip: variant.skip }, () => {
    let server: Opened;
    let outside: string;
    let made: Awaited<ReturnType<typeof populate>>;
    let deps: PurgeDeps;

    before(async () => {
      server = await openVariant(variant);
      outside = await tempDir('cairn-gc-outside-');
      made = await populate(server, outside);
      const d = server.backends.deps;
      deps = {
        metadata: d.metadata,
        tracking: d.tracking,
        registry: d.registry,
        loggedModels: d.loggedModels as NonNullable<typeof d.loggedModels>,
        artifacts: d.artifacts,
        root: new ArtifactRoot(server.artifactsUri),
      };
    });
    after(async () => {
      await server?.close();
    });

    const summary = (r: PurgeReport) => ({
      runs: r.runs.map((x) => x.run_id),
      experiments: r.experiments.map((x) => x.experiment_id).sort(),
      kept: r.kept.map((k) => `${k.kind} ${k.id}`).sort(),
      files: r.files,
      bytes: r.bytes,
    });

    it('removes what was deleted long enough ago, and keeps everything still in use', async () => {
      const { tracking, registry } = server.backends.deps;
      const loggedModels = deps.loggedModels;
      const expected = {
        runs: [made.a1.run_id],
        experiments: [made.B, made.F].sort(),
        kept: [`experiment ${made.C}`, `experiment ${made.D}`, `run ${made.a3.run_id}`].sort(),
        files: 4,
        bytes: sizeOf('a1-model', 'a1 notes', 'b1-bytes', 'flavors: {}'),
      };
      const dry = await purgeDeleted(deps, { olderThanMs: 30 * DAY, dryRun: true });
      assert.deepEqual(summary(dry), expected, 'the dry run says what would go');
      assert.equal(
        (await tracking.getRun(made.a1.run_id)).info.run_id,
        made.a1.run_id,
        'and removes nothing',
      );
      assert.equal((await keysUnder(server, made.a1.artifact_uri)).length, 2);

      const report = await purgeDeleted(deps, { olderThanMs: 30 * DAY });
      assert.deepEqual(summary(report), expected);
      assert.match(
        report.kept.find((k) => k.id === made.a3.run_id)?.reason ?? '',
        /registered model version/,
      );
      assert.match(
        report.kept.find((k) => k.id === made.C)?.reason ?? '',
        new RegExp(`run ${made.c1.run_id}`),
      );
      assert.match(report.kept.find((k) => k.id === made.D)?.reason ?? '', /holds artifacts still in use/);
      const f = report.experiments.find((e) => e.experiment_id === made.F);
      assert.ok(
        f && f.artifacts.length > 0 && f.artifacts.every((a) => !a.in_store),
        "F's files are outside the root",
      );

      // Gone: rows and files.
      await assert.rejects(tracking.getRun(made.a1.run_id), { code: 'NOT_FOUND' });
      assert.deepEqual(await keysUnder(server, made.a1.artifact_uri), []);
      await assert.rejects(tracking.getExperiment(made.B), { code: 'NOT_FOUND' });
      await assert.rejects(tracking.getRun(made.b1.run_id), { code: 'NOT_FOUND' });
      await assert.rejects(loggedModels.getLoggedModel(made.model.info.model_id, true), {
        code: 'NOT_FOUND',
      });
      assert.deepEqual(await keysUnder(server, `mlflow-artifacts:/${made.B}`), []);
      await assert.rejects(tracking.getExperiment(made.F), { code: 'NOT_FOUND' });
      assert.equal(await readFile(join(outside, 'f', 'precious.txt'), 'utf8'), 'not the server’s to delete');

      // Kept: live, recent, registered and containing.
      for (const r of [made.a2, made.a3, made.a4, made.c1, made.d1, made.e1])
        assert.equal((await tracking.getRun(r.run_id)).info.run_id, r.run_id);
      assert.deepEqual(await keysUnder(server, made.a2.artifact_uri), [
        `${(deps.root.pathOf(made.a2.artifact_uri) as string[]).join('/')}/model.onnx`,
      ]);
      assert.equal(
        (await keysUnder(server, made.a3.artifact_uri)).length,
        1,
        'a registered run keeps its files',
      );
      assert.equal((await keysUnder(server, made.c1.artifact_uri)).length, 1);
      assert.equal((await keysUnder(server, made.e1.artifact_uri)).length, 1);
      assert.equal((await registry.getModelVersion('kept', '1')).run_id, made.a3.run_id);
      if (server.artifactsDir)
        assert.equal(existsSync(join(server.artifactsDir, made.B)), false, 'no empty directories left');

      const again = await purgeDeleted(deps, { olderThanMs: 30 * DAY });
      assert.deepEqual(summary(again), { ...expected, runs: [], experiments: [], files: 0, bytes: 0 });
    });

    it('finishes the artifacts of a gc that died after removing the records', async () => {
      const { tracking, artifacts } = server.backends.deps;
      await purgeDeleted(deps, { olderThanMs: 0, now: Date.now() + 1000 }); // what is left from above
      const A = made.A;
      const run = await tracking.createRun({ experiment_id: A });
      const root = deps.root.pathOf(run.info.artifact_uri) as string[];
      for (const name of ['one.bin', 'two.bin'])
        await new ArtifactFiles(artifacts).write([...root, name], Readable.from([name]), 1e6);
      await tracking.deleteRun(run.info.run_id);
      // The process dies while deleting the files: the first delete fails.
      const del = artifacts.delete.bind(artifacts);
      artifacts.delete = async () => {
        throw new Error('killed');
      };
      try {
        await assert.rejects(purgeDeleted(deps, { olderThanMs: 0, now: Date.now() + 1000 }), /killed/);
      } finally {
        artifacts.delete = del;
      }
      await assert.rejects(tracking.getRun(run.info.run_id), { code: 'NOT_FOUND' }, 'the records are gone');
      assert.equal((await keysUnder(server, run.info.artifact_uri)).length, 2, 'the files are not, yet');
      const next = await purgeDeleted(deps, { olderThanMs: 30 * DAY });
      assert.deepEqual(next.resumed, [run.info.artifact_uri]);
      assert.deepEqual(await keysUnder(server, run.info.artifact_uri), []);
    });
  });

describe('cairn server gc, the command', () => {
  it('reports in JSON, removes with --older-than, and refuses a bad age', async () => {
    const ws = await newWorkspace({ git: false });
    const variant = variants()[3];
    const s3 = variant && !variant.skip;
    const server = s3 ? await openVariant(variant) : undefined;
    const store = server?.storeUri ?? `sqlite://${join(ws, '.cairn', 'cairn.db')}`;
    const artifactsUri = server?.artifactsUri ?? `file://${join(ws, '.cairn', 'artifacts')}`;
    const env = s3
      ? {
          CAIRN_S3_ENDPOINT: S3_SETTINGS.endpoint as string,
          CAIRN_S3_PATH_STYLE: 'true',
          CAIRN_S3_ACCESS_KEY_ID: S3_SETTINGS.access_key_id as string,
          CAIRN_S3_SECRET_ACCESS_KEY: S3_SETTINGS.secret_access_key as string,
        }
      : {};
    let runId: string;
    {
      const { openServerBackends } = await import('../../src/server/server-wiring.ts');
      const { silentLogger } = await import('../../src/kernel/logging.ts');
      const b =
        server?.backends ?? (await openServerBackends({ storeUri: store, artifactsUri, log: silentLogger }));
      const { tracking, artifacts } = b.deps;
      const experiment = await tracking.createExperiment('cli');
      const run = await tracking.createRun({ experiment_id: experiment });
      runId = run.info.run_id;
      const path = new ArtifactRoot(artifactsUri).pathOf(run.info.artifact_uri) as string[];
      await new ArtifactFiles(artifacts).write([...path, 'model.onnx'], Readable.from(['12345']), 1e6);
      await tracking.deleteRun(runId);
      if (!server) await b.close();
    }
    try {
      const args = ['server', 'gc', '--store', store, '--artifacts', artifactsUri];
      const young = await cairn([...args, '--older-than', '1d', '--json'], { cwd: ws, env });
      assert.equal(young.code, 0, young.stderr);
      assert.deepEqual(JSON.parse(young.stdout).runs, [], 'deleted moments ago: not old enough');
      const dry = await cairn([...args, '--older-than', '0s', '--dry-run', '--json'], { cwd: ws, env });
      const planned = JSON.parse(dry.stdout) as PurgeReport;
      assert.equal(planned.dry_run, true);
      assert.deepEqual(
        planned.runs.map((r) => r.run_id),
        [runId],
      );
      assert.equal(planned.bytes, 5);
      const done = await cairn([...args, '--older-than', '0s'], { cwd: ws, env });
      assert.equal(done.code, 0, done.stderr);
      assert.match(
        done.stdout,
        /^Removed 0 experiments and 1 run deleted before .* with 1 artifact file \(5 B\)\./,
      );
      assert.match(done.stdout, new RegExp(`run ${runId} in experiment`));
      const bad = await cairn([...args, '--older-than', 'a month'], { cwd: ws, env });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--older-than "a month" is not an age/);
    } finally {
      await server?.close();
    }
  });
});
