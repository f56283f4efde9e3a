/**
 * `npm run bench:data:large-csv`: adds one large CSV (default 5 GiB: BENCH_CSV_MIB) to a fresh
 * workspace and records the `cairn add` process's peak resident memory beside its time, with
 * profiling under the default DuckDB memory limit (cache.profile_memory_mib). Goal: under 1 GiB.
 * Writes the "bench:data:large-csv" section of docs/benchmarks.md (BENCH_WRITE_DOCS=0 to skip).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PROFILE_MEMORY_MIB } from '../../src/kernel/config.ts';
import { CAIRN_BIN, fmtMs, machine, replaceSection } from '../support.ts';
import { writeCsv } from './csv-generator.ts';

const MIB = Number(process.env.BENCH_CSV_MIB ?? 5120);
const root = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'cairn-bench-csv-'));
const peakRss = fileURLToPath(new URL('./peak-rss.ts', import.meta.url));

try {
  const ws = join(root, 'ws');
  mkdirSync(ws);
  const csv = join(ws, 'big.csv');
  process.stderr.write(`writing a ${MIB} MiB CSV in ${ws}\n`);
  writeCsv(csv, MIB * 2 ** 20);
  const size = statSync(csv).size;
  spawnSync(process.execPath, [CAIRN_BIN, 'init'], { cwd: ws, stdio: 'inherit' });
  spawnSync('sync', []);
  process.stderr.write('cairn add big.csv\n');
  const out = join(root, 'rss.json');
  const start = performance.now();
  const add = spawnSync(process.execPath, [peakRss, out, 'add', 'big.csv', '--json'], {
    cwd: ws,
    encoding: 'utf8',
  });
  const ms = performance.now() - start;
  const { code, maxRssKiB } = JSON.parse(readFileSync(out, 'utf8')) as { code: number; maxRssKiB: number };
  if (code !== 0) throw new Error(`cairn add failed (${code}): ${add.stderr}`);
  const result = (JSON.parse(add.stdout) as { profiled?: boolean; profileError?: string }[])[0];
  const shown = spawnSync(process.execPath, [CAIRN_BIN, 'data', 'show', 'big.csv', '--json'], {
    cwd: ws,
    encoding: 'utf8',
  });
  const rows =
    shown.status === 0 ? (JSON.parse(shown.stdout) as { profile: { rows: number } }).profile.rows : 0;
  const peakMiB = maxRssKiB / 1024;
  const body = [
    `Run on ${new Date().toISOString().slice(0, 10)}: ${machine()}; DuckDB memory limit ${DEFAULT_PROFILE_MEMORY_MIB} MiB (the default).`,
    '',
    '| work | size | time | peak resident memory | goal |',
    '| --- | --- | --- | --- | --- |',
    `| \`cairn add\` of one CSV: hash, store, profile (${rows.toLocaleString('en-US')} rows, 6 columns) | ${(size / 2 ** 30).toFixed(2)} GiB | ${fmtMs(ms)} | ${Math.round(peakMiB)} MiB | < 1024 MiB: ${peakMiB < 1024 ? 'met' : 'not met'}${result?.profileError ? `; profiling failed: ${result.profileError}` : ''} |`,
  ].join('\n');
  process.stdout.write(`${body}\n`);
  if (process.env.BENCH_WRITE_DOCS !== '0')
    replaceSection(
      fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url)),
      'bench:data:large-csv',
      body,
    );
} finally {
  rmSync(root, { recursive: true, force: true });
}
