import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UI = join(ROOT, 'ui');
const STAMP = join(UI, 'dist', '.source-hash');
const LOCK = join(UI, '.build-lock');

/** A hash of everything the built UI comes from: ui/ (but dist/) and the build script. */
function sourceHash(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (path !== join(UI, 'dist') && path !== LOCK) walk(path);
      } else {
        hash.update(relative(ROOT, path)).update('\0').update(readFileSync(path)).update('\0');
      }
    }
  };
  walk(UI);
  hash.update(readFileSync(join(ROOT, 'scripts', 'build-ui.ts')));
  return hash.digest('hex');
}

function current(expected: string): boolean {
  try {
    return readFileSync(STAMP, 'utf8') === expected;
  } catch {
    return false;
  }
}

/**
 * Builds the web UI (npm run build:ui) when ui/dist is missing or older than its sources, so
 * browser tests run against the UI in the working tree, also in a fresh clone. Test files that
 * run at once take turns through a lock directory; the second finds the build done.
 */
export function ensureUiBuilt(): void {
  const expected = sourceHash();
  if (current(expected)) return;
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock left by a killed build is stale after two minutes.
      if (Date.now() - statSync(LOCK).mtimeMs > 120_000) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('waited 3 minutes for another build of the web UI');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    if (current(expected)) return;
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-ui.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`npm run build:ui failed:\n${r.stdout}\n${r.stderr}`);
    writeFileSync(STAMP, expected);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
