/**
 * Compiles src/ to dist/ (JavaScript + declarations) for the published package, where Node
 * cannot strip types from files under node_modules. Relative `.ts` imports become `.js`.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
rmSync(resolve(root, 'dist'), { recursive: true, force: true });
const tsc = resolve(root, 'node_modules', '.bin', 'tsc');
const r = spawnSync(tsc, ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
