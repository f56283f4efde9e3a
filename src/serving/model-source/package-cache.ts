import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { errors } from '../../kernel/errors.ts';
import { type Digest, digestHex } from '../../kernel/hashing.ts';
import type { Logger } from '../../kernel/logging.ts';
import { hashModelPackage, type PackageFiles } from '../../registry/lineage/package-hash.ts';
import { localArtifactLocator } from '../../registry/registration/local-artifact-locator.ts';

/** Paths inside a package must stay inside it. */
function safeRelative(path: string): string[] {
  const parts = path.split('/');
  if (parts.length === 0 || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\')))
    throw errors.integrity(`the package lists a file outside its directory: ${JSON.stringify(path)}`);
  return parts;
}

async function hashDir(dir: string) {
  return hashModelPackage(localArtifactLocator(dir) as PackageFiles);
}

/**
 * Fetched model packages on local disk, one directory per package hash
 * (`<root>/<hex of the package hash>/`). A package is copied into a temporary directory, hashed
 * there, and renamed into place only when its hash is the one expected; a cached package is
 * hashed again each time it is used, and fetched again if it no longer matches.
 */
export class PackageCache {
  readonly root: string;
  readonly #log: Logger;

  constructor(root: string, log: Logger) {
    this.root = root;
    this.#log = log;
  }

  /**
   * A verified local copy of `files`. With `expected`, files that hash to anything else are
   * refused (INTEGRITY_ERROR) and nothing is kept; without it, the copy is kept under the hash
   * it has.
   */
  async fetch(
    files: PackageFiles,
    expected: Digest | undefined,
    what: string,
  ): Promise<{ dir: string; hash: Digest }> {
    if (expected) {
      const dir = join(this.root, digestHex(expected));
      if (await exists(dir)) {
        const hash = (await hashDir(dir))?.digest;
        if (hash === expected) return { dir, hash };
        this.#log.warn(
          { dir, expected, hash },
          'cached package no longer matches its hash; fetching it again',
        );
        await rm(dir, { recursive: true, force: true });
      }
    }
    await mkdir(this.root, { recursive: true });
    const temp = join(this.root, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      let count = 0;
      for await (const file of files.list()) {
        const target = join(temp, ...safeRelative(file.path));
        await mkdir(dirname(target), { recursive: true });
        await pipeline(await files.read(file.path), createWriteStream(target));
        count++;
      }
      if (count === 0)
        throw errors.notFound(`${what}: no files at ${files.location}`, {
          hint: 'the version was registered from a location that is empty or gone',
        });
      const hash = (await hashDir(temp))?.digest as Digest;
      if (expected && hash !== expected)
        throw errors.integrity(
          `${what}: the files at ${files.location} hash to ${hash}, but the registry recorded ${expected}: refusing to load them`,
          {
            details: { expected, actual: hash, location: files.location },
            hint: 'the package was changed after it was registered; register the new files as a new version',
          },
        );
      const dir = join(this.root, digestHex(hash));
      if (await exists(dir)) {
        await rm(temp, { recursive: true, force: true });
        return { dir, hash };
      }
      await rename(temp, dir);
      return { dir, hash };
    } catch (err) {
      await rm(temp, { recursive: true, force: true });
      throw err;
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export { hashDir };
