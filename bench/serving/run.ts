/**
 * `npm run bench:serving`: Cairn's inference server against the servers users would run instead,
 * in one run, with the same load generator (wrk, one thread, keep-alive) on 127.0.0.1:
 *
 *  (a) a plain node:http server answering a fixed V2 response: this machine's ceiling;
 *  (b) `cairn serve` with the logistic and GBDT models `cairn train` makes from UCI Adult
 *      (prediction log on, as by default), over V2 and MLflow's scoring protocol;
 *  (c) `mlflow models serve` and (d) MLServer, each with the scikit-learn equivalents
 *      (bench/serving/peers.py), asked for class probabilities as Cairn answers them.
 *
 * Every server answers one request with the same row first (its probability of >50K is in the
 * report); then each workload runs 2 s unmeasured (JIT warm-up), then BENCH_SECONDS at 32 connections. Also measured: batching at
 * 256 connections (Cairn as is, and with --max-batch-size 1), zero failed requests while the
 * served version is swapped every 500 ms under load through the admin API, --workers 2, and the
 * memory one more loaded model takes (10 sessions against 1).
 *
 * The peers run with OMP_NUM_THREADS=1 (one thread per inference, as Cairn's default): with
 * OpenMP's default of one thread per core, scikit-learn's tree ensembles spin on a busy machine.
 *
 * Settings (env): BENCH_SECONDS (10), BENCH_MLFLOW (the mlflow command; default beside
 * $CAIRN_TEST_PYTHON or the project's .venv), CAIRN_BENCH_MLSERVER_PYTHON (the MLServer venv's
 * python; scripts/services/mlserver-venv.sh makes it), BENCH_PEERS=0 to skip (c) and (d),
 * BENCH_WRITE_DOCS=0 to leave docs/benchmarks.md alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CAIRN_BIN, machine, replaceSection } from '../support.ts';
import { freePort, rssOf, type Started, startServer } from './processes.ts';
import { type WrkResult, wrk } from './wrk.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PEERS = process.env.BENCH_PEERS !== '0';
const ADULT = fileURLToPath(new URL('../../../shared/data/uci-adult/adult.data', import.meta.url));
const COLUMNS = [
  'age',
  'workclass',
  'fnlwgt',
  'education',
  'education_num',
  'marital_status',
  'occupation',
  'relationship',
  'race',
  'sex',
  'capital_gain',
  'capital_loss',
  'hours_per_week',
  'native_country',
] as const;
const NUMBERS = new Set(['age', 'fnlwgt', 'education_num', 'capital_gain', 'capital_loss', 'hours_per_week']);
const ADMIN_TOKEN = 'bench-serving-admin-token-0123';

const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-serving-'));
const node = process.execPath;
const started: Started[] = [];

function say(text: string): void {
  process.stderr.write(`${text}\n`);
}

function findMlflow(): string | undefined {
  const py = process.env.CAIRN_TEST_PYTHON;
  return [
    process.env.BENCH_MLFLOW ?? '',
    py ? join(dirname(py), 'mlflow') : '',
    fileURLToPath(new URL('../../.venv/bin/mlflow', import.meta.url)),
  ].find((c) => c !== '' && existsSync(c));
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(cmd, args, {
    cwd: dir,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.error ?? ''}`);
  return r.stdout;
}

/** UCI Adult as a CSV with a header, '?' as an empty field; and its first row. */
function adult(): { csv: string; row: Record<string, string | number> } {
  const lines = readFileSync(ADULT, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(', ').map((f) => (f === '?' ? '' : f)));
  const csv = join(dir, 'adult.csv');
  writeFileSync(csv, `${[...COLUMNS, 'income'].join(',')}\n${lines.map((l) => l.join(',')).join('\n')}\n`);
  const first = lines[0] as string[];
  const row = Object.fromEntries(
    COLUMNS.map((c, i) => [c, NUMBERS.has(c) ? Number(first[i]) : (first[i] as string)]),
  );
  return { csv, row };
}

async function post(
  url: string,
  body: string,
  contentType = 'application/json',
): Promise<{ status: number; json: unknown }> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : undefined };
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mib = (bytes: number) => `${fmt(bytes / 2 ** 20, 1)} MiB`;

interface Row {
  server: string;
  model: string;
  protocol: string;
  result: WrkResult;
}

async function main(): Promise<void> {
  say(`bench:serving in ${dir}`);
  const loadBefore = loadavg();
  const { csv, row } = adult();
  say('training with cairn train: logistic, gbdt');
  for (const model of ['logistic', 'gbdt'])
    run(node, [
      CAIRN_BIN,
      'train',
      '--data',
      csv,
      '--target',
      'income',
      '--task',
      'classification',
      '--model',
      model,
      '--out',
      join(dir, model),
    ]);

  const v2 = JSON.stringify({
    inputs: COLUMNS.map((c) => ({
      name: c,
      shape: [1],
      datatype: NUMBERS.has(c) ? 'FP64' : 'BYTES',
      data: [row[c]],
    })),
  });
  const split = JSON.stringify({ dataframe_split: { columns: COLUMNS, data: [COLUMNS.map((c) => row[c])] } });
  const mlserverBody = JSON.stringify({
    parameters: { content_type: 'pd' },
    inputs: COLUMNS.map((c) => ({
      name: c,
      shape: [1],
      datatype: NUMBERS.has(c) ? 'FP64' : 'BYTES',
      data: [row[c]],
      ...(NUMBERS.has(c) ? {} : { parameters: { content_type: 'str' } }),
    })),
    outputs: [{ name: 'predict_proba' }],
  });
  const rows: Row[] = [];
  const answers: Record<string, string> = {};
  const notes: string[] = [];
  const measure = async (
    server: string,
    model: string,
    protocol: string,
    url: string,
    body: string,
    connections = 32,
  ) => {
    say(`  ${server} ${model} ${protocol} ${connections} connections, ${SECONDS} s (after 2 s of warm-up)`);
    await wrk(dir, url, body, 'application/json', connections, 2);
    const result = await wrk(dir, url, body, 'application/json', connections, SECONDS);
    rows.push({ server, model, protocol, result });
    return result;
  };

  // (a) the ceiling
  const plainPort = await freePort();
  const plain = await startServer(
    'plain',
    node,
    [fileURLToPath(new URL('./plain-server.ts', import.meta.url)), String(plainPort)],
    `http://127.0.0.1:${plainPort}/`,
  );
  started.push(plain);
  const ceiling = await measure(
    'node:http, fixed answer',
    '—',
    'V2',
    `http://127.0.0.1:${plainPort}/v2/models/logistic/infer`,
    v2,
  );
  await plain.stop();

  // (b) Cairn
  const token = join(dir, 'admin.token');
  writeFileSync(token, ADMIN_TOKEN);
  const cairnPort = await freePort();
  const cairnUrl = `http://127.0.0.1:${cairnPort}`;
  const serveArgs = (port: number, extra: string[] = []) => [
    CAIRN_BIN,
    'serve',
    `logistic=${join(dir, 'logistic')}`,
    `gbdt=${join(dir, 'gbdt')}`,
    `swap=${join(dir, 'logistic')}`,
    '--port',
    String(port),
    '--prediction-log',
    join(dir, 'predictions'),
    ...extra,
  ];
  const cairn = await startServer(
    'cairn',
    node,
    serveArgs(cairnPort, ['--admin-token-file', token]),
    `${cairnUrl}/v2/health/ready`,
    { cwd: dir },
  );
  started.push(cairn);
  const cairnResults: Record<string, WrkResult> = {};
  for (const model of ['logistic', 'gbdt']) {
    const answer = await post(`${cairnUrl}/v2/models/${model}/infer`, v2);
    const outputs = (answer.json as { outputs: { name: string; data: number[] }[] }).outputs;
    answers[`Cairn ${model}`] = String(outputs.find((o) => o.name === 'probability')?.data[0]);
    cairnResults[model] = await measure('Cairn', model, 'V2', `${cairnUrl}/v2/models/${model}/infer`, v2);
  }
  await measure(
    'Cairn',
    'logistic',
    'MLflow dataframe_split',
    `${cairnUrl}/endpoints/logistic/invocations`,
    split,
  );
  const batched256: Record<string, WrkResult> = {};
  for (const model of ['logistic', 'gbdt'])
    batched256[model] = await measure('Cairn', model, 'V2', `${cairnUrl}/v2/models/${model}/infer`, v2, 256);

  // Swaps under load: the admin API switches the swap endpoint's version every 500 ms.
  say('  Cairn swap under load');
  const config = (model: string) =>
    JSON.stringify({
      endpoints: [
        { name: 'logistic', variants: [{ name: 'primary', model: join(dir, 'logistic') }] },
        { name: 'gbdt', variants: [{ name: 'primary', model: join(dir, 'gbdt') }] },
        {
          name: 'swap',
          variants: [{ name: 'primary', model: join(dir, model) }],
          batching: { max_queue: 255 },
        },
      ],
    });
  let swaps = 0;
  let swapFailures = 0;
  let swapping = true;
  const swapper = (async () => {
    while (swapping) {
      await new Promise((r) => setTimeout(r, 500));
      if (!swapping) break;
      const r = await fetch(`${cairnUrl}/api/v1/serving`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: config(swaps % 2 === 0 ? 'gbdt' : 'logistic'),
      });
      if (r.status === 200) swaps++;
      else swapFailures++;
    }
  })();
  const swapResult = await wrk(dir, `${cairnUrl}/v2/models/swap/infer`, v2, 'application/json', 32, SECONDS);
  swapping = false;
  await swapper;
  const cairnRss = rssOf(cairn.child.pid as number);
  await cairn.stop();

  // Batching off, for the 256-connection comparison.
  const unbatchedPort = await freePort();
  const unbatched = await startServer(
    'cairn unbatched',
    node,
    serveArgs(unbatchedPort, ['--max-batch-size', '1']),
    `http://127.0.0.1:${unbatchedPort}/v2/health/ready`,
    { cwd: dir },
  );
  started.push(unbatched);
  const unbatched256: Record<string, WrkResult> = {};
  for (const model of ['logistic', 'gbdt'])
    unbatched256[model] = await measure(
      'Cairn, --max-batch-size 1',
      model,
      'V2',
      `http://127.0.0.1:${unbatchedPort}/v2/models/${model}/infer`,
      v2,
      256,
    );
  await unbatched.stop();

  // The prediction log's cost: the same server with it off.
  const quietPort = await freePort();
  const quiet = await startServer(
    'cairn without log',
    node,
    [...serveArgs(quietPort).slice(0, -2), '--prediction-log', 'off'],
    `http://127.0.0.1:${quietPort}/v2/health/ready`,
    { cwd: dir },
  );
  started.push(quiet);
  for (const model of ['logistic', 'gbdt'])
    await measure(
      'Cairn, --prediction-log off',
      model,
      'V2',
      `http://127.0.0.1:${quietPort}/v2/models/${model}/infer`,
      v2,
    );
  await quiet.stop();

  // --workers 2
  const workersPort = await freePort();
  const workers = await startServer(
    'cairn workers',
    node,
    serveArgs(workersPort, ['--workers', '2']),
    `http://127.0.0.1:${workersPort}/v2/health/ready`,
    { cwd: dir },
  );
  started.push(workers);
  await measure(
    'Cairn, --workers 2',
    'logistic',
    'V2',
    `http://127.0.0.1:${workersPort}/v2/models/logistic/infer`,
    v2,
  );
  await workers.stop();

  // Memory per loaded model: 10 sessions of a model against 1 (distinct settings keep them apart).
  const memory: Record<string, { one: number; ten: number }> = {};
  for (const model of ['logistic', 'gbdt']) {
    const rss: number[] = [];
    for (const count of [1, 10]) {
      const file = join(dir, `memory-${model}-${count}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          endpoints: Array.from({ length: count }, (_, i) => ({
            name: `m${i}`,
            variants: [{ name: 'primary', model: join(dir, model) }],
            batching: { max_queue: 200 + i },
          })),
        }),
      );
      const port = await freePort();
      const s = await startServer(
        `cairn memory ${model} ${count}`,
        node,
        [CAIRN_BIN, 'serve', '--config', file, '--port', String(port), '--prediction-log', 'off'],
        `http://127.0.0.1:${port}/v2/health/ready`,
        { cwd: dir },
      );
      started.push(s);
      for (let i = 0; i < count; i++)
        for (let k = 0; k < 20; k++) await post(`http://127.0.0.1:${port}/v2/models/m${i}/infer`, v2);
      rss.push(rssOf(s.child.pid as number));
      await s.stop();
    }
    memory[model] = { one: rss[0] as number, ten: rss[1] as number };
  }

  // (c) and (d): the peers
  const peerResults: Record<string, Record<string, WrkResult>> = {};
  const versions: string[] = [];
  const mlflow = findMlflow();
  const mlserverPython = process.env.CAIRN_BENCH_MLSERVER_PYTHON;
  if (PEERS && mlflow) {
    run(join(dirname(mlflow), 'python'), [
      fileURLToPath(new URL('./peers.py', import.meta.url)),
      'mlflow',
      ADULT,
      join(dir, 'mlflow'),
    ]);
    versions.push(
      `MLflow ${run(join(dirname(mlflow), 'python'), ['-c', 'import mlflow, sklearn; print(mlflow.__version__, "(scikit-learn", sklearn.__version__ + ")")']).trim()}`,
    );
    peerResults.mlflow = {};
    for (const model of ['logistic', 'gbdt']) {
      const port = await freePort();
      const s = await startServer(
        `mlflow models serve ${model}`,
        mlflow,
        [
          'models',
          'serve',
          '-m',
          join(dir, 'mlflow', model),
          '-h',
          '127.0.0.1',
          '-p',
          String(port),
          '--env-manager',
          'local',
        ],
        `http://127.0.0.1:${port}/ping`,
        {
          env: {
            GIT_PYTHON_REFRESH: 'quiet',
            OMP_NUM_THREADS: '1',
            PATH: `${dirname(mlflow)}:${process.env.PATH}`,
          },
        },
      );
      started.push(s);
      const answer = await post(`http://127.0.0.1:${port}/invocations`, split);
      answers[`mlflow models serve ${model}`] = String(
        (answer.json as { predictions: number[][] }).predictions[0]?.[1],
      );
      peerResults.mlflow[model] = await measure(
        'mlflow models serve',
        model,
        'MLflow dataframe_split',
        `http://127.0.0.1:${port}/invocations`,
        split,
      );
      await s.stop();
    }
  } else notes.push('`mlflow models serve` was not measured (BENCH_PEERS=0 or no mlflow command).');
  if (PEERS && mlserverPython && existsSync(mlserverPython)) {
    const root = join(dir, 'mlserver');
    run(mlserverPython, [fileURLToPath(new URL('./peers.py', import.meta.url)), 'mlserver', ADULT, root]);
    versions.push(
      `MLServer ${run(mlserverPython, ['-c', 'import mlserver, sklearn; print(mlserver.__version__, "(scikit-learn", sklearn.__version__ + ")")']).trim()}`,
    );
    const [http, grpc, metrics] = [await freePort(), await freePort(), await freePort()];
    writeFileSync(
      join(root, 'settings.json'),
      JSON.stringify({ http_port: http, grpc_port: grpc, metrics_port: metrics, host: '127.0.0.1' }),
    );
    const s = await startServer(
      'mlserver',
      join(dirname(mlserverPython), 'mlserver'),
      ['start', root],
      `http://127.0.0.1:${http}/v2/models/gbdt/ready`,
      { cwd: root, env: { OMP_NUM_THREADS: '1', PATH: `${dirname(mlserverPython)}:${process.env.PATH}` } },
    );
    started.push(s);
    peerResults.mlserver = {};
    for (const model of ['logistic', 'gbdt']) {
      const url = `http://127.0.0.1:${http}/v2/models/${model}/infer`;
      const answer = await post(url, mlserverBody);
      if (answer.status !== 200)
        throw new Error(`MLServer answered ${answer.status}: ${JSON.stringify(answer.json)}`);
      answers[`MLServer ${model}`] = String(
        (answer.json as { outputs: { data: number[] }[] }).outputs[0]?.data[1],
      );
      peerResults.mlserver[model] = await measure('MLServer', model, 'V2 (pandas codec)', url, mlserverBody);
    }
    await s.stop();
  } else
    notes.push(
      'MLServer was not measured (BENCH_PEERS=0, or CAIRN_BENCH_MLSERVER_PYTHON unset: eval "$(scripts/services/mlserver-venv.sh)").',
    );

  const loadAfter = loadavg();
  report({
    rows,
    ceiling,
    cairnResults,
    batched256,
    unbatched256,
    swapResult,
    swaps,
    swapFailures,
    memory,
    cairnRss,
    peerResults,
    answers,
    versions,
    notes,
    loadBefore,
    loadAfter,
  });
}

interface Report {
  rows: Row[];
  ceiling: WrkResult;
  cairnResults: Record<string, WrkResult>;
  batched256: Record<string, WrkResult>;
  unbatched256: Record<string, WrkResult>;
  swapResult: WrkResult;
  swaps: number;
  swapFailures: number;
  memory: Record<string, { one: number; ten: number }>;
  cairnRss: number;
  peerResults: Record<string, Record<string, WrkResult>>;
  answers: Record<string, string>;
  versions: string[];
  notes: string[];
  loadBefore: number[];
  loadAfter: number[];
}

function report(r: Report): void {
  const table = [
    '| server | model | protocol | connections | requests/s | p50 | p99 | failed |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.rows.map(
      ({ server, model, protocol, result: w }) =>
        `| ${server} | ${model} | ${protocol} | ${w.connections} | ${fmt(w.rps)} | ${fmt(w.p50ms, 2)} ms | ${fmt(w.p99ms, 2)} ms | ${w.errors} |`,
    ),
  ];
  const goal = (ok: boolean) => (ok ? 'met' : '**not met**');
  const goals: string[] = [];
  for (const model of ['logistic', 'gbdt']) {
    const c = r.cairnResults[model] as WrkResult;
    const share = c.rps / r.ceiling.rps;
    goals.push(
      `| ${model}: ≥ 50% of node:http's requests/s | ${fmt(share * 100)}% (${fmt(c.rps)} of ${fmt(r.ceiling.rps)}) | ${goal(share >= 0.5)} |`,
    );
    goals.push(
      `| ${model}: p99 ≤ 5 ms at 32 connections | ${fmt(c.p99ms, 2)} ms (node:http's own p99: ${fmt(r.ceiling.p99ms, 2)} ms) | ${goal(c.p99ms <= 5)} |`,
    );
    const mlflow = r.peerResults.mlflow?.[model];
    if (mlflow)
      goals.push(
        `| ${model}: ≥ 10× \`mlflow models serve\` | ${fmt(c.rps / mlflow.rps, 1)}× | ${goal(c.rps >= 10 * mlflow.rps)} |`,
      );
    const mlserver = r.peerResults.mlserver?.[model];
    if (mlserver)
      goals.push(
        `| ${model}: ≥ 3× MLServer | ${fmt(c.rps / mlserver.rps, 1)}× | ${goal(c.rps >= 3 * mlserver.rps)} |`,
      );
    const b = r.batched256[model] as WrkResult;
    const u = r.unbatched256[model] as WrkResult;
    goals.push(
      `| ${model}: batching raises throughput at 256 connections | ${fmt(b.rps)} against ${fmt(u.rps)} requests/s unbatched (${fmt(b.rps / u.rps, 2)}×) | ${goal(b.rps > u.rps)} |`,
    );
  }
  goals.push(
    `| zero failed requests while the version is swapped under load | ${r.swapResult.errors} failed of ${fmt(r.swapResult.requests)}, ${r.swaps} swaps (every 500 ms, ${r.swapFailures} refused), ${fmt(r.swapResult.rps)} requests/s | ${goal(r.swapResult.errors === 0 && r.swaps > 0 && r.swapFailures === 0)} |`,
  );
  const memoryLines = Object.entries(r.memory).map(
    ([model, m]) =>
      `${model}: ${mib((m.ten - m.one) / 9)} per extra loaded session (1 session: ${mib(m.one)} resident in all; 10: ${mib(m.ten)})`,
  );
  const body = [
    `Run on ${new Date().toISOString().slice(0, 10)}: ${machine()}; ${r.versions.join('; ') || 'no peers'}; wrk, 1 thread, ${SECONDS} s per row; load average ${r.loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${r.loadAfter.map((l) => l.toFixed(2)).join(' ')} after.`,
    '',
    table.join('\n'),
    '',
    '| goal | measured | |',
    '| --- | --- | --- |',
    ...goals,
    '',
    `Memory per loaded model version (resident memory of \`cairn serve\` with 10 sessions of the model against 1): ${memoryLines.join('; ')}. The server of the main runs above (three endpoints, two sessions, the prediction log on) held ${mib(r.cairnRss)}.`,
    '',
    `Probability of >50K for the first row of UCI Adult, as each server answered it: ${Object.entries(
      r.answers,
    )
      .map(([k, v]) => `${k} ${Number(v).toFixed(4)}`)
      .join(
        ', ',
      )} (the peers' models are scikit-learn's, trained on the same data with the same preprocessing).`,
    ...(r.notes.length > 0 ? ['', ...r.notes] : []),
  ].join('\n');
  process.stdout.write(`${body}\n`);
  if (process.env.BENCH_WRITE_DOCS !== '0')
    replaceSection(
      fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url)),
      'bench:serving',
      body,
    );
}

try {
  await main();
} finally {
  for (const s of started) await s.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
