import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startServerProcess } from '../compat/server-process.ts';
import { cairnJson, newWorkspace, writeFiles } from '../support/cli.ts';

const SDK = pathToFileURL(fileURLToPath(new URL('../../src/index.ts', import.meta.url))).href;

/** Files the stage logs through the SDK, with names the artifact layout has to encode. */
const LOGGED = {
  'my report.txt': 'a space',
  'résumé.json': '{"unicode": true}',
  '.env.sample': 'A_LEADING_DOT=1',
  'train@small.csv': 'at,sign',
};

interface Listing {
  files?: { path: string; is_dir: boolean; file_size?: number }[];
}

describe('artifacts that cairn run writes into a workspace are served by cairn server', () => {
  it('opens every file it lists, unusual names included', async () => {
    const ws = await newWorkspace();
    await writeFiles(ws, {
      'in.txt': 'x',
      'log-files.mjs': `
        import { mkdirSync, writeFileSync } from 'node:fs';
        const { Tracking } = await import(${JSON.stringify(SDK)});
        const files = ${JSON.stringify(LOGGED)};
        mkdirSync('out/report dir', { recursive: true });
        for (const [name, text] of Object.entries(files)) writeFileSync('out/report dir/' + name, text);
        const tracking = await Tracking.fromEnv();
        await tracking.logArtifact('out/report dir', 'reports');
        await tracking.close();
        console.log('logged for ' + process.env.CAIRN_STAGE);
      `,
      'cairn.yaml': `stages:
  train:
    foreach: [small]
    do:
      cmd: '"${process.execPath}" log-files.mjs'
      deps: [in.txt]
`,
    });
    const summary = await cairnJson<{ run_id: string; status: string }>(['run'], { cwd: ws });
    assert.equal(summary.status, 'FINISHED');

    const server = await startServerProcess([], { cwd: ws });
    try {
      const api = (path: string) => fetch(`${server.url}${path}`);
      const run = (await (await api(`/api/2.0/mlflow/runs/get?run_id=${summary.run_id}`)).json()) as {
        run: { info: { artifact_uri: string; experiment_id: string } };
      };
      const root = `${run.run.info.experiment_id}/${summary.run_id}/artifacts`;
      const list = async (path: string) =>
        (await (
          await api(
            `/api/2.0/mlflow/artifacts/list?run_id=${summary.run_id}&path=${encodeURIComponent(path)}`,
          )
        ).json()) as Listing;
      const open = async (path: string) => {
        const res = await api(
          `/api/2.0/mlflow-artifacts/artifacts/${[...root.split('/'), ...path.split('/')].map(encodeURIComponent).join('/')}`,
        );
        return { status: res.status, body: await res.text() };
      };

      const logs = await list('logs');
      assert.deepEqual(
        logs.files?.map((f) => f.path),
        ['logs/train@small.log'],
      );
      const log = await open('logs/train@small.log');
      assert.equal(log.status, 200, log.body);
      assert.match(log.body, /logged for train@small/);

      const reports = await list('reports/report dir');
      assert.deepEqual(
        reports.files?.map((f) => f.path).sort(),
        Object.keys(LOGGED)
          .map((n) => `reports/report dir/${n}`)
          .sort(),
      );
      for (const [name, text] of Object.entries(LOGGED)) {
        const file = await open(`reports/report dir/${name}`);
        assert.equal(file.status, 200, `${name}: ${file.body}`);
        assert.equal(file.body, text, name);
      }
    } finally {
      await server.stop();
    }
  });
});
