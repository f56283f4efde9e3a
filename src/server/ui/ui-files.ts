import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** Where `npm run build:ui` writes the web UI, in a clone and in the installed package alike. */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../../ui/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** One file of the built UI, held in memory with its gzip form (the whole UI is a few hundred KB). */
export interface UiFile {
  type: string;
  body: Buffer;
  /** Absent when compressing does not make the file smaller. */
  gzip?: Buffer;
  etag: string;
}

/**
 * The built web UI's files by path (`index.html`, `assets/index-<hash>.js`), read once. Empty
 * when the UI was not built.
 */
export async function readUiFiles(dir: string): Promise<Map<string, UiFile>> {
  const files = new Map<string, UiFile>();
  let entries: string[];
  try {
    entries = (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return files;
    throw err;
  }
  for (const path of entries) {
    const name = relative(dir, path).split(sep).join('/');
    if (name.startsWith('.')) continue;
    const body = await readFile(path);
    const type = TYPES[extname(name)] ?? 'application/octet-stream';
    const zipped = type.startsWith('image/png') || type === 'font/woff2' ? undefined : gzipSync(body);
    files.set(name, {
      type,
      body,
      ...(zipped && zipped.length < body.length ? { gzip: zipped } : {}),
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    });
  }
  return files;
}
