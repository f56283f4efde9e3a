/**
 * `npm run quickstart`: versions a sample data set end to end with the embedded defaults, printing
 * each command as it runs: init, add, status, a change and its diff, push to a local remote, then
 * a fresh clone that pulls the data back and verifies it. Everything happens in a temp directory
 * (kept with --keep) and nothing outside it is touched.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cairnBin = fileURLToPath(new URL('../bin/cairn.js', import.meta.url));
const keep = process.argv.includes('--keep');
const base = mkdtempSync(join(tmpdir(), 'cairn-quickstart-'));
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Quickstart',
  GIT_AUTHOR_EMAIL: 'q@example.com',
  GIT_COMMITTER_NAME: 'Quickstart',
  GIT_COMMITTER_EMAIL: 'q@example.com',
};

function sh(cwd: string, cmd: string, args: string[], show = true): string {
  if (show)
    process.stdout.write(
      `\n$ ${[cmd === process.execPath ? 'cairn' : cmd, ...(cmd === process.execPath ? args.slice(1) : args)].join(' ')}\n`,
    );
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8' });
  if (show) process.stdout.write(r.stdout + r.stderr);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${r.status}`);
  return r.stdout;
}
const cairn = (cwd: string, ...args: string[]) => sh(cwd, process.execPath, [cairnBin, ...args]);

/** A small tabular data set (a fictional loan book) and a folder of "images". */
function sampleData(dir: string): void {
  mkdirSync(join(dir, 'data', 'images'), { recursive: true });
  let seed = 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const rows = ['id,age,income,region,defaulted'];
  const regions = ['north', 'south', 'east', 'west'];
  for (let i = 1; i <= 5000; i++) {
    const age = 18 + Math.floor(rand() * 60);
    const income = rand() < 0.03 ? '' : String(Math.round(20000 + rand() * 90000));
    rows.push(`${i},${age},${income},${regions[Math.floor(rand() * 4)]},${rand() < 0.2 ? 1 : 0}`);
  }
  writeFileSync(join(dir, 'data', 'loans.csv'), `${rows.join('\n')}\n`);
  for (let i = 0; i < 200; i++)
    writeFileSync(join(dir, 'data', 'images', `img-${i}.raw`), Buffer.alloc(2048, i));
}

try {
  const project = join(base, 'project');
  const remote = join(base, 'remote');
  mkdirSync(project);
  sh(project, 'git', ['init', '-q', '-b', 'main'], false);
  sampleData(project);
  process.stdout.write(`Cairn quickstart in ${base}\n`);
  cairn(project, 'init');
  cairn(project, 'add', 'data/loans.csv', 'data/images');
  cairn(project, 'status');
  cairn(project, 'data', 'show', 'data/loans.csv');
  cairn(project, 'remote', 'add', 'origin', remote, '--default');
  cairn(project, 'push');
  sh(project, 'git', ['add', '-A']);
  sh(project, 'git', ['commit', '-qm', 'Track the loan data with Cairn']);

  process.stdout.write('\n# Change one image and see it reported\n');
  writeFileSync(join(project, 'data', 'images', 'img-7.raw'), Buffer.alloc(2048, 255));
  cairn(project, 'status', '--no-remote');
  cairn(project, 'add', 'data/images');
  cairn(project, 'push');
  sh(project, 'git', ['commit', '-qam', 'Fix image 7']);

  process.stdout.write('\n# A teammate clones the repository and pulls the data\n');
  const clone = join(base, 'teammate');
  sh(base, 'git', ['clone', '-q', project, clone]);
  cairn(clone, 'pull');
  cairn(clone, 'status');
  process.stdout.write(
    `\nDone. ${keep ? `Everything is kept in ${base}` : 'Run with --keep to look around afterwards.'}\n`,
  );
} finally {
  if (!keep) rmSync(base, { recursive: true, force: true });
}
