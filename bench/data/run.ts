/**
 * `npm run bench:data`: Cairn's data versioning against OpenSSL (the hashing limit) and DVC (the
 * tool users would pick instead), on the same files in one run. Prints a table and writes it to
 * the "bench:data" section of docs/benchmarks.md.
 *
 * Each repetition starts from a fresh repository (empty cache, empty stat cache) with the page
 * cache warm for both tools:
 *  1. one large file (1 GiB): `openssl dgst -sha256`, `cairn add`, `dvc add`;
 *  2. 10,000 small files (1–4 KiB) in one directory: `cairn add`, `dvc add`;
 *  3. status with nothing changed on those files: `cairn status`, `dvc status`;
 *  4. push the small files to a local remote, then pull them into a fresh clone.
 * Cairn's adds are also measured with `cache.fsync: false`, to show what durability costs (the
 * default fsyncs every object and its directory; DVC 3.67 does not fsync its cache at all).
 *
 * Settings (env): BENCH_BIG_MIB (1024), BENCH_FILES (10000), BENCH_REPEAT (3),
 * BENCH_DVC (path to dvc; default: the project's .venv or next to $CAIRN_TEST_PYTHON),
 * BENCH_WRITE_DOCS=0 to leave docs/benchmarks.md alone.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_ENV, CAIRN_BIN, findDvc, fmtMs, machine, median, replaceSection, timed } from '../support.ts';

const BIG_MIB = Number(process.env.BENCH_BIG_MIB ?? 1024);
const FILES = Number(process.env.BENCH_FILES ?? 10_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const STATUS_RUNS = 5;
const root = mkdtempSync(join(tmpdir(), 'cairn-bench-data-'));
const store = join(root, 'data');
const gitEnv = BENCH_ENV;

const dvcBin = findDvc();

/** Flushes dirty pages first, so no measurement pays for the previous step's writeback. */
const settle = () => run('sync', [], root);

const run = (cmd: string, args: string[], cwd: string) =>
  timed(cmd, args, { cwd, env: { ...gitEnv, DVC_NO_ANALYTICS: '1' } });
const cairn = (args: string[], cwd: string) => run(process.execPath, [CAIRN_BIN, ...args], cwd);
const cairnNoFsync = (args: string[], cwd: string) =>
  timed(process.execPath, [CAIRN_BIN, ...args], {
    cwd,
    env: { ...gitEnv, CAIRN_CACHE_FSYNC: 'false' },
  });
const dvc = (args: string[], cwd: string) => run(dvcBin as string, args, cwd);

function makeData(): void {
  mkdirSync(store, { recursive: true });
  const chunk = randomBytes(1 << 20);
  const fd = openSync(join(store, 'big.bin'), 'w');
  for (let i = 0; i < BIG_MIB; i++) {
    chunk.writeUInt32LE(i, 0);
    writeSync(fd, chunk);
  }
  closeSync(fd);
  for (let i = 0; i < FILES; i++) {
    const sub = join(store, 'small', `d${i % 100}`);
    if (i < 100) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}.txt`), randomBytes(256 + (i % 7) * 256).toString('hex'));
  }
}

/** A new git repository holding the data (moved in, not copied). */
function repoWithData(name: string): string {
  const dir = join(root, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  run('git', ['init', '-q'], dir);
  renameSync(join(store, 'big.bin'), join(dir, 'big.bin'));
  renameSync(join(store, 'small'), join(dir, 'small'));
  return dir;
}

function giveDataBack(dir: string): void {
  renameSync(join(dir, 'big.bin'), join(store, 'big.bin'));
  renameSync(join(dir, 'small'), join(store, 'small'));
  rmSync(dir, { recursive: true, force: true });
}

interface Sample {
  addBig: number;
  addSmall: number;
  /** The same adds with `cache.fsync: false` (Cairn only). */
  addBigNoFsync: number;
  addSmallNoFsync: number;
  /** `cp -r` of the small files just before adding them: the file system's own cost right then. */
  cpSmall: number;
  status: number;
  push: number;
  pull: number;
}

function statusTime(cmd: () => unknown): number {
  cmd();
  const times: number[] = [];
  for (let i = 0; i < STATUS_RUNS; i++) {
    const start = performance.now();
    cmd();
    times.push(performance.now() - start);
  }
  return median(times);
}

function cairnRound(round: number): Sample {
  const ws = repoWithData('cairn-ws');
  const remote = join(root, 'cairn-remote');
  rmSync(remote, { recursive: true, force: true });
  /** Both adds into a fresh workspace (empty cache), with or without `cache.fsync`. */
  const adds = (fsync: boolean) => {
    rmSync(join(ws, '.cairn'), { recursive: true, force: true });
    cairn(['init'], ws);
    settle();
    const add = fsync ? cairn : cairnNoFsync;
    const big = add(['add', 'big.bin'], ws).ms;
    const cp = fsync ? copyBaseline(ws) : 0;
    settle();
    return { big, small: add(['add', 'small'], ws).ms, cp };
  };
  // The adds without fsync go first in every other round: neither kind always meets the disk in
  // the state the other left it in.
  const early = round % 2 === 0 ? adds(false) : undefined;
  const { big: addBig, small: addSmall, cp: cpSmall } = adds(true);
  const status = statusTime(() => cairn(['status', '--no-remote', 'small'], ws));
  cairn(['remote', 'add', 'origin', remote, '--default'], ws);
  settle();
  const push = cairn(['push', 'small'], ws).ms;
  run('git', ['add', '-A'], ws);
  run('git', ['commit', '-qm', 'data'], ws);
  const clone = join(root, 'cairn-clone');
  rmSync(clone, { recursive: true, force: true });
  run('git', ['clone', '-q', ws, clone], root);
  settle();
  const pull = cairn(['pull', 'small'], clone).ms;
  rmSync(clone, { recursive: true, force: true });
  rmSync(remote, { recursive: true, force: true });
  const noFsync = early ?? adds(false);
  giveDataBack(ws);
  return {
    addBig,
    addSmall,
    addBigNoFsync: noFsync.big,
    addSmallNoFsync: noFsync.small,
    cpSmall,
    status,
    push,
    pull,
  };
}

function dvcRound(): Sample {
  const ws = repoWithData('dvc-ws');
  const remote = join(root, 'dvc-remote');
  rmSync(remote, { recursive: true, force: true });
  dvc(['init', '-q'], ws);
  settle();
  const addBig = dvc(['add', '-q', 'big.bin'], ws).ms;
  const cpSmall = copyBaseline(ws);
  settle();
  const addSmall = dvc(['add', '-q', 'small'], ws).ms;
  const status = statusTime(() => dvc(['status', 'small.dvc'], ws));
  dvc(['remote', 'add', '-d', 'origin', remote], ws);
  settle();
  const push = dvc(['push', '-q', 'small.dvc'], ws).ms;
  run('git', ['add', '-A'], ws);
  run('git', ['commit', '-qm', 'data'], ws);
  const clone = join(root, 'dvc-clone');
  rmSync(clone, { recursive: true, force: true });
  run('git', ['clone', '-q', ws, clone], root);
  settle();
  const pull = dvc(['pull', '-q', 'small.dvc'], clone).ms;
  rmSync(clone, { recursive: true, force: true });
  rmSync(remote, { recursive: true, force: true });
  giveDataBack(ws);
  return {
    addBig,
    addSmall,
    addBigNoFsync: Number.NaN,
    addSmallNoFsync: Number.NaN,
    cpSmall,
    status,
    push,
    pull,
  };
}

/**
 * Creating many files on this kind of disk gets several times slower after many were deleted
 * (each round deletes the last one's caches), so the baseline is taken in the same conditions,
 * right before each tool adds the files. The copy is left in place until the round ends.
 */
function copyBaseline(ws: string): number {
  settle();
  return run('cp', ['-r', join(ws, 'small'), join(ws, '..', `cp-${Date.now()}`)], root).ms;
}

function medianOf(samples: Sample[], key: keyof Sample): number {
  return median(samples.map((s) => s[key]));
}

try {
  process.stderr.write(`generating ${BIG_MIB} MiB file and ${FILES} small files in ${root}\n`);
  makeData();
  const bigPath = join(store, 'big.bin');
  run('sh', ['-c', 'cat "$1" > /dev/null', 'warm', bigPath], root);
  const openssl = median(
    Array.from({ length: REPEAT }, () => run('openssl', ['dgst', '-sha256', bigPath], root).ms),
  );
  const cairnSamples: Sample[] = [];
  const dvcSamples: Sample[] = [];
  for (let r = 0; r < REPEAT; r++) {
    process.stderr.write(`round ${r + 1}/${REPEAT}: cairn\n`);
    cairnSamples.push(cairnRound(r));
    if (dvcBin) {
      process.stderr.write(`round ${r + 1}/${REPEAT}: dvc\n`);
      dvcSamples.push(dvcRound());
    }
  }
  const dvcVersion = dvcBin ? dvc(['--version'], root).stdout.trim() : undefined;
  const mb = (BIG_MIB * 2 ** 20) / 1e6;
  const rate = (ms: number) => `${Math.round(mb / (ms / 1000))} MB/s`;
  const c = (k: keyof Sample) => medianOf(cairnSamples, k);
  const d = (k: keyof Sample) => (dvcSamples.length ? medianOf(dvcSamples, k) : Number.NaN);
  const vs = (k: keyof Sample) => (dvcSamples.length ? `${(d(k) / c(k)).toFixed(1)}×` : 'n/a');
  const dvcCell = (k: keyof Sample, extra = '') =>
    dvcSamples.length ? `${fmtMs(d(k))}${extra}` : 'not installed';
  const filesPerSec = (ms: number) => `${Math.round(FILES / (ms / 1000)).toLocaleString('en-US')} files/s`;
  const rows = [
    `| add one ${BIG_MIB} MiB file | ${fmtMs(c('addBig'))} (${rate(c('addBig'))}) | ${dvcCell('addBig', dvcSamples.length ? ` (${rate(d('addBig'))})` : '')} | ${vs('addBig')} | OpenSSL: ${fmtMs(openssl)} (${rate(openssl)}); Cairn reaches ${Math.round((openssl / c('addBig')) * 100)}% of it |`,
    `| add ${FILES.toLocaleString('en-US')} small files | ${fmtMs(c('addSmall'))} (${filesPerSec(c('addSmall'))}) | ${dvcCell('addSmall', dvcSamples.length ? ` (${filesPerSec(d('addSmall'))})` : '')} | ${vs('addSmall')} | \`cp -r\` of the same files just before: ${fmtMs(c('cpSmall'))} before Cairn's add, ${dvcSamples.length ? fmtMs(d('cpSmall')) : 'n/a'} before DVC's |`,
    `| add one ${BIG_MIB} MiB file, \`cache.fsync: false\` | ${fmtMs(c('addBigNoFsync'))} (${rate(c('addBigNoFsync'))}) | n/a | | durability costs ${fmtMs(c('addBig') - c('addBigNoFsync'))} (${Math.round((c('addBig') / c('addBigNoFsync') - 1) * 100)}%); DVC does not fsync its cache |`,
    `| add ${FILES.toLocaleString('en-US')} small files, \`cache.fsync: false\` | ${fmtMs(c('addSmallNoFsync'))} (${filesPerSec(c('addSmallNoFsync'))}) | n/a | | durability costs ${fmtMs(c('addSmall') - c('addSmallNoFsync'))} (${Math.round((c('addSmall') / c('addSmallNoFsync') - 1) * 100)}%) |`,
    `| status, nothing changed (${FILES.toLocaleString('en-US')} files) | ${fmtMs(c('status'))} | ${dvcCell('status')} | ${vs('status')} | median of ${STATUS_RUNS} runs |`,
    `| push ${FILES.toLocaleString('en-US')} files to a local remote | ${fmtMs(c('push'))} | ${dvcCell('push')} | ${vs('push')} | |`,
    `| pull them into a fresh clone | ${fmtMs(c('pull'))} | ${dvcCell('pull')} | ${vs('pull')} | fetch + checkout |`,
  ];
  const body = [
    `Run on ${new Date().toISOString().slice(0, 10)}: ${machine()}; ${dvcVersion ? `DVC ${dvcVersion}` : 'DVC not installed'}; median of ${REPEAT} fresh repetitions.`,
    '',
    '| work | Cairn | DVC | DVC time / Cairn time | notes |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
  process.stdout.write(`${body}\n`);
  if (process.env.BENCH_WRITE_DOCS !== '0')
    replaceSection(fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url)), 'bench:data', body);
} finally {
  rmSync(root, { recursive: true, force: true });
}
