// biome-ignore-all lint/suspicious/noTemplateCurlyInString: fixtures are cairn.yaml text with its ${…} syntax.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Connection, Client as TemporalClient } from '@temporalio/client';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { artifactKey } from '../../src/tracking/artifacts/artifact-layout.ts';
import { SqlTrackingStore } from '../../src/tracking/sql/sql-tracking-store.ts';
import type { Run } from '../../src/tracking/tracking-types.ts';
import { cairn, cairnJson, newWorkspace, startCairn, writeFiles } from '../support/cli.ts';
import { s3Gate, temporalGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';

const temporal = temporalGate();
const s3 = s3Gate();
const skip = temporal.skip || s3.skip;
const address = temporal.value ?? '';
const executor = `temporal://${address}`;
const endpoint = s3.value ?? '';
const accessKey = process.env.CAIRN_TEST_S3_ACCESS_KEY ?? '';
const secretKey = process.env.CAIRN_TEST_S3_SECRET_KEY ?? '';
const bucket = `cairn-temporal-${randomBytes(5).toString('hex')}`;
/** A task queue of this test file alone: other workers on the service never take its stages. */
const queue = `test-${randomBytes(4).toString('hex')}`;
/** Short, so a stage whose worker is killed is retried within seconds. */
const runEnv = { CAIRN_EXECUTOR_HEARTBEAT_TIMEOUT: '2' };

interface Summary {
  run_id: string;
  status: string;
  stages: { name: string; status: string; reasons: string[]; error?: string }[];
}

/**
 * prepare → shard@1..4 (fan-out; the first two wait for each other, so they can only finish
 * when two workers run them at once) → combine (a directory output and a metrics file) → slow
 * (its first attempt blocks until its worker is killed).
 */
const PIPELINE = `stages:
  prepare:
    cmd: >-
      mkdir -p data && awk -F, 'NR > 1 { print $1 * \${scale} "," $2 }' data/raw.csv > data/prepared.csv
    deps: [data/raw.csv]
    params: [scale]
    outs: [data/prepared.csv]
  shard:
    foreach: [1, 2, 3, 4]
    do:
      cmd: >-
        sh barrier.sh && mkdir -p shards && awk -F, '$1 % 4 == \${item} % 4 { s += $2 } END { print s + 0 }' data/prepared.csv > shards/s\${item}.txt && echo "shard \${item} summed"
      deps: [data/prepared.csv, barrier.sh]
      outs: ["shards/s\${item}.txt"]
  combine:
    cmd: >-
      mkdir -p model && cat shards/s1.txt shards/s2.txt shards/s3.txt shards/s4.txt > model/sums.txt && echo \${label} > model/label.txt && awk '{ t += $1 } END { print "{\\"total\\": " t "}" }' model/sums.txt > metrics.json
    deps: [shards/s1.txt, shards/s2.txt, shards/s3.txt, shards/s4.txt]
    params: [label]
    outs: [model]
    metrics: [metrics.json]
  slow:
    cmd: sh slow.sh && cp model/sums.txt final.txt
    deps: [model, slow.sh]
    outs: [final.txt]
`;

const FILES = {
  'data/raw.csv': `id,v\n${Array.from({ length: 40 }, (_, i) => `${i},${(i * 7) % 13}`).join('\n')}\n`,
  'params.yaml': 'scale: 3\nlabel: first\n',
  'cairn.yaml': PIPELINE,
  // Records which worker started a shard, then waits (at most 30 s) until two shards have started.
  'barrier.sh':
    'echo "${CAIRN_WORKER:-local}" >> "$MARKS/started"\nn=0\nwhile [ "$(wc -l < "$MARKS/started")" -lt 2 ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done\n',
  // Until the test has killed a worker, says where it runs (and its process group) and sleeps.
  'slow.sh':
    'if [ ! -e "$MARKS/killed" ]; then echo "$CAIRN_WORKER $(ps -o pgid= -p $$ | tr -d \' \')" > "$MARKS/slow"; sleep 30; fi\n',
};

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

async function waitFor<T>(what: string, probe: () => T | undefined, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface Worker {
  name: string;
  child: ChildProcess;
  out: () => string;
  exited: Promise<number>;
}

/** A `cairn worker` in a directory of its own; it shares only the remote with the others. */
async function startWorker(name: string, marks: string): Promise<Worker> {
  const home = await tempDir(`cairn-${name}-`);
  const child = startCairn(
    [
      'worker',
      '--executor',
      executor,
      '--queue',
      queue,
      '--concurrency',
      '1',
      '--dir',
      join(home, 'data'),
      '--name',
      name,
    ],
    {
      cwd: home,
      env: { CAIRN_S3_ACCESS_KEY_ID: accessKey, CAIRN_S3_SECRET_ACCESS_KEY: secretKey, MARKS: marks },
    },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  // Kept for a look after a failure (CAIRN_TEST_KEEP_TMP=1 keeps the directory).
  child.stdout?.pipe(createWriteStream(join(home, 'worker.log')));
  child.stderr?.pipe(createWriteStream(join(home, 'worker.err')));
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  return { name, child, out: () => out, exited };
}

async function remoteWorkspace(prefix: string): Promise<string> {
  const ws = await newWorkspace();
  const url = `s3://${bucket}/${prefix}`;
  for (const args of [
    ['remote', 'add', 'origin', url, '--endpoint', endpoint, '--path-style', '--default'],
    ['remote', 'modify', 'origin', 'access_key_id', accessKey, '--local'],
    ['remote', 'modify', 'origin', 'secret_access_key', secretKey, '--local'],
  ]) {
    const r = await cairn(args, { cwd: ws });
    assert.equal(r.code, 0, r.stderr);
  }
  return ws;
}

async function trackedRun(ws: string, runId: string): Promise<Run> {
  const db = await openMetadataStore(`sqlite://${join(ws, '.cairn', 'cairn.db')}`);
  try {
    return await new SqlTrackingStore(db, { defaultArtifactRoot: 'file:///unused' }).getRun(runId);
  } finally {
    await db.close();
  }
}

function alive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('cairn run --executor temporal:// with cairn worker processes', { skip }, () => {
  let marks: string;
  let workers: Worker[] = [];
  let temporalClient: TemporalClient;
  let connection: Connection;
  let ws: string;
  /** cairn run processes a failed test may leave behind. */
  const runs: ChildProcess[] = [];

  before(async () => {
    const s3client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: accessKey, secretAccessKey: secretKey },
    });
    await s3client.send(new CreateBucketCommand({ Bucket: bucket }));
    s3client.destroy();
    marks = await tempDir('cairn-marks-');
    workers = await Promise.all([startWorker('worker-a', marks), startWorker('worker-b', marks)]);
    connection = await Connection.connect({ address });
    temporalClient = new TemporalClient({ connection });
    ws = await remoteWorkspace('pipeline');
    await writeFiles(ws, FILES);
    assert.equal((await cairn(['add', 'data/raw.csv'], { cwd: ws })).code, 0);
    for (const w of workers)
      await waitFor(`${w.name} to be ready`, () => (/ ready: /.test(w.out()) ? true : undefined));
  });

  after(async () => {
    for (const w of workers)
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
    for (const r of runs) if (r.exitCode === null && r.signalCode === null) r.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await connection?.close();
  });

  it('fans out across both workers, retries the stage of a SIGKILLed worker on the other, and writes what a local run writes', async () => {
    const run = startCairn(['run', '--executor', executor, '--queue', queue, '--json'], {
      cwd: ws,
      env: { ...runEnv, MARKS: marks },
    });
    runs.push(run);
    let stdout = '';
    let stderr = '';
    run.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    run.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number>((resolve) => run.on('close', (code) => resolve(code ?? -1)));

    // The slow stage's first attempt: kill its worker (and the stage's processes, as a dying host would).
    const [victimName, pgid] = await waitFor('the slow stage to start', () => {
      assert.equal(run.exitCode, null, `cairn run ended early: ${stderr}`);
      const f = join(marks, 'slow');
      const text = existsSync(f) ? readFileSync(f, 'utf8').trim() : '';
      return /^\S+ \d+$/.test(text) ? (text.split(' ') as [string, string]) : undefined;
    });
    const victim = workers.find((w) => w.name === victimName) ?? assert.fail(`unknown worker ${victimName}`);
    const survivor = workers.find((w) => w !== victim) as Worker;
    await writeFile(join(marks, 'killed'), '');
    victim.child.kill('SIGKILL');
    process.kill(-Number(pgid), 'SIGKILL');
    await victim.exited;

    assert.equal(await exited, 0, stderr);
    const summary = JSON.parse(stdout) as Summary;
    assert.equal(summary.status, 'FINISHED');
    assert.deepEqual(
      summary.stages.map((s) => [s.name, s.status]),
      ['prepare', 'shard@1', 'shard@2', 'shard@3', 'shard@4', 'combine', 'slow'].map((n) => [n, 'done']),
    );
    const started = readFileSync(join(marks, 'started'), 'utf8').split('\n').filter(Boolean);
    assert.deepEqual(
      [...new Set(started.slice(0, 2))].sort(),
      ['worker-a', 'worker-b'],
      'the first two shards ran at once, one on each worker',
    );
    assert.match(stderr, /warning: slow: attempt 2 of 3 after .*Heartbeat timeout/);
    assert.match(survivor.out(), /\[slow\] running \(run \w+, attempt 2\)\n[\s\S]*\[slow\] done/);
    assert.match(stderr, /\[slow\] running: no entry in cairn\.lock/);

    // The same project run locally, in a workspace of its own.
    const local = await newWorkspace();
    const localMarks = await tempDir('cairn-local-marks-');
    await writeFiles(local, FILES);
    await writeFile(join(localMarks, 'killed'), '');
    assert.equal((await cairn(['add', 'data/raw.csv'], { cwd: local })).code, 0);
    const localRun = await cairnJson<Summary>(['run', '-j', '4'], { cwd: local, env: { MARKS: localMarks } });
    assert.equal(localRun.status, 'FINISHED');
    assert.equal(
      readFileSync(join(ws, 'cairn.lock'), 'utf8'),
      readFileSync(join(local, 'cairn.lock'), 'utf8'),
    );
    for (const f of ['final.txt', 'model/sums.txt', 'model/label.txt', 'metrics.json', 'shards/s3.txt'])
      assert.equal(readFileSync(join(ws, f), 'utf8'), readFileSync(join(local, f), 'utf8'), f);

    // The tracked run holds what a local run's holds: outputs, metrics, each stage's log.
    const [remoteTracked, localTracked] = [
      await trackedRun(ws, summary.run_id),
      await trackedRun(local, localRun.run_id),
    ];
    const outputs = (r: Run) =>
      r.data.tags
        .filter((t) => t.key.startsWith('cairn.output.') || t.key.endsWith('.status'))
        .sort((a, b) => a.key.localeCompare(b.key));
    assert.deepEqual(outputs(remoteTracked), outputs(localTracked));
    assert.deepEqual(
      remoteTracked.data.metrics.map((m) => [m.key, m.value]),
      localTracked.data.metrics.map((m) => [m.key, m.value]),
    );
    assert.equal(remoteTracked.info.status, 'FINISHED');
    // Stored under the artifact layout's name for `shard@3.log` (an unusual name is hex-escaped).
    const log = new URL(`${remoteTracked.info.artifact_uri}/${artifactKey(['logs', 'shard@3.log'])}`);
    assert.match(readFileSync(log, 'utf8'), /shard 3 summed/);

    // A fresh worker takes the killed one's place for the next tests.
    workers = [survivor, await startWorker(victim.name, marks)];
    await waitFor(`${victim.name} to be ready again`, () =>
      / ready: /.test(workers[1]?.out() ?? '') ? true : undefined,
    );
  });

  it('starts no workflow when nothing changed, and runs only the changed stages as activities', async () => {
    const again = await cairnJson<Summary>(['run', '--executor', executor, '--queue', queue], {
      cwd: ws,
      env: { ...runEnv, MARKS: marks },
    });
    assert.deepEqual(new Set(again.stages.map((s) => s.status)), new Set(['skipped']));
    await assert.rejects(temporalClient.workflow.getHandle(`cairn-run-${again.run_id}`).describe(), {
      name: 'WorkflowNotFoundError',
    });

    await writeFile(join(ws, 'params.yaml'), 'scale: 3\nlabel: second\n');
    const changed = await cairnJson<Summary>(['run', '--executor', executor, '--queue', queue], {
      cwd: ws,
      env: { ...runEnv, MARKS: marks },
    });
    assert.deepEqual(
      changed.stages.map((s) => [s.name, s.status]),
      [
        ['prepare', 'skipped'],
        ['shard@1', 'skipped'],
        ['shard@2', 'skipped'],
        ['shard@3', 'skipped'],
        ['shard@4', 'skipped'],
        ['combine', 'done'],
        ['slow', 'done'],
      ],
    );
    assert.equal(readFileSync(join(ws, 'model/label.txt'), 'utf8'), 'second\n');
    const history = await temporalClient.workflow.getHandle(`cairn-run-${changed.run_id}`).fetchHistory();
    const ran = (history.events ?? [])
      .map((e) => e.activityTaskScheduledEventAttributes)
      .filter((a) => a?.activityType?.name === 'runStage')
      .map((a) => a?.activityId);
    assert.deepEqual(ran, ['stage:combine', 'stage:slow']);
  });

  it('sends a stage to the queue cairn.yaml names, and stops its processes on the worker when the run is stopped', async () => {
    const small = await remoteWorkspace('stop');
    await writeFiles(small, {
      'in.txt': 'x\n',
      'cairn.yaml': `stages:\n  hang:\n    cmd: echo $$ > "$MARKS/hang.pid" && sleep 60 && cp in.txt out.txt\n    deps: [in.txt]\n    outs: [out.txt]\n    queue: ${queue}\n`,
    });
    // No worker serves the run's default queue: the stage reaches one only through its own.
    const run = startCairn(['run', '--executor', executor, '--queue', 'no-worker-here'], {
      cwd: small,
      env: { ...runEnv, MARKS: marks },
    });
    let out = '';
    run.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    run.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number>((resolve) => run.on('close', (code) => resolve(code ?? -1)));
    const pidFile = join(marks, 'hang.pid');
    const pgid = await waitFor('the stage to start', () => {
      const text = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim() : '';
      return text ? Number(text) : undefined;
    });
    assert.ok(alive(pgid));
    run.kill('SIGINT');
    assert.equal(await exited, 1, out);
    assert.match(out, /\[hang\] stopped in /);
    assert.match(out, /KILLED: 1 stopped/);
    assert.equal(alive(pgid), false, "the stage's process group is gone when cairn run returns");
    assert.equal(existsSync(join(small, 'cairn.lock')), false);
  });

  it('says in one line that the Temporal service is down, at once, and writes nothing', async () => {
    const port = await closedPort();
    const before = readFileSync(join(ws, 'cairn.lock'), 'utf8');
    const down = `temporal://127.0.0.1:${port}`;
    const r = await cairn(['run', '--executor', down, '--force'], { cwd: ws, env: { MARKS: marks } });
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `error: cannot reach the Temporal service at 127.0.0.1:${port}: connection refused — start one (on a laptop: temporal server start-dev) or fix the address in --executor / executor.uri (${down})\n`,
    );
    assert.equal(r.stdout, '');
    assert.equal(readFileSync(join(ws, 'cairn.lock'), 'utf8'), before);
    const w = await cairn(['worker', '--executor', down, '--dir', join(await tempDir(), 'w')], { cwd: ws });
    assert.equal(w.code, 1);
    assert.match(
      w.stderr,
      /^error: cannot reach the Temporal service at 127\.0\.0\.1:\d+: connection refused — /,
    );
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
