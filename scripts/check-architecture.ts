/**
 * Checks the import rules of DESIGN.md over src/:
 *  - kernel/ imports nothing else from src/;
 *  - store/ and blobs/ (backends) import only kernel/ and themselves;
 *  - domain areas never import a shell (cli/, server/, sdk/, ui/);
 *  - no shell but cli/ imports another shell (cli/ starts the server);
 *  - no import cycles between files.
 * Prints each violation with the importing file and exits 1 if there is any.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(import.meta.dirname, '..', 'src');
const SHELLS = new Set(['cli', 'server', 'sdk', 'ui']);
const BACKENDS = new Set(['store', 'blobs']);

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

function area(file: string): string {
  const rel = relative(root, file).split(sep);
  return rel.length === 1 ? '(root)' : (rel[0] as string);
}

const IMPORT =
  /(?:^|[^\w.])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

const graph = new Map<string, string[]>();
const problems: string[] = [];
for (const file of files(root)) {
  const text = readFileSync(file, 'utf8');
  const deps: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2];
    if (!spec?.startsWith('.')) continue;
    const target = resolve(dirname(file), spec);
    deps.push(target);
    const from = area(file);
    const to = area(target);
    if (from === to || from === '(root)') continue;
    const where = relative(resolve(root, '..'), file);
    if (from === 'kernel') problems.push(`${where}: kernel/ must not import ${to}/`);
    else if (BACKENDS.has(from) && to !== 'kernel')
      problems.push(`${where}: backend ${from}/ may import only kernel/, not ${to}/`);
    else if (!SHELLS.has(from) && SHELLS.has(to))
      problems.push(`${where}: domain area ${from}/ must not import the shell ${to}/`);
    else if (SHELLS.has(from) && SHELLS.has(to) && from !== 'cli')
      problems.push(`${where}: shell ${from}/ must not import the shell ${to}/`);
  }
  graph.set(file, deps);
}

// Cycle detection: depth-first search with colours.
const state = new Map<string, 'open' | 'done'>();
const stack: string[] = [];
const reported = new Set<string>();
function visit(file: string): void {
  state.set(file, 'open');
  stack.push(file);
  for (const dep of graph.get(file) ?? []) {
    if (!graph.has(dep)) continue;
    const s = state.get(dep);
    if (s === 'open') {
      const cycle = stack.slice(stack.indexOf(dep)).map((f) => relative(root, f));
      const key = [...cycle].sort().join('|');
      if (!reported.has(key)) {
        reported.add(key);
        problems.push(`import cycle: ${[...cycle, relative(root, dep)].join(' -> ')}`);
      }
    } else if (s === undefined) visit(dep);
  }
  stack.pop();
  state.set(file, 'done');
}
for (const file of graph.keys()) if (!state.has(file)) visit(file);

if (problems.length > 0) {
  for (const p of problems) console.error(p);
  console.error(`check-architecture: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(`check-architecture: ${graph.size} files, layers and cycles ok`);
