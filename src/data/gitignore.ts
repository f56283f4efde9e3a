import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from '../kernel/atomic-file.ts';

function entryFor(name: string): string {
  // Anchored to the directory of the .gitignore, with glob characters escaped.
  return `/${name.replace(/([*?[\]\\!#])/g, '\\$1')}`;
}

/** Adds the tracked path to the `.gitignore` beside it, once. Returns true when the file changed. */
export async function ensureGitIgnored(absPath: string): Promise<boolean> {
  const file = join(dirname(absPath), '.gitignore');
  const entry = entryFor(basename(absPath));
  const text = await readFile(file, 'utf8').catch(() => '');
  const lines = text.split('\n');
  if (lines.includes(entry)) return false;
  const prefix = text === '' || text.endsWith('\n') ? text : `${text}\n`;
  await writeFileAtomic(file, `${prefix}${entry}\n`);
  return true;
}
