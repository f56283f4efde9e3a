import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { encodeManifest, type ManifestEntry } from '../../data/manifest.ts';
import { mapConcurrent } from '../../kernel/concurrency.ts';
import { type Digest, digestFromHex } from '../../kernel/hashing.ts';

/** The files of a model package: its source artifact directory, wherever it is stored. */
export interface PackageFiles {
  /** Where the package is, for messages. */
  readonly location: string;
  /** Every file below the package directory, with its path relative to it (`/`-separated). */
  list(): AsyncIterable<{ path: string; size: number }>;
  read(path: string): Promise<Readable>;
}

export interface PackageHash {
  /** `sha256:` of the canonical manifest of the package's files. */
  digest: Digest;
  files: number;
  /** Total bytes of the files. */
  size: number;
}

const PARALLEL_READS = 8;

async function hashStream(stream: Readable): Promise<{ hash: Digest; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    hash.update(bytes);
  }
  return { hash: digestFromHex(hash.digest('hex')), size };
}

/**
 * The content hash of a model package: each file's SHA-256, then the SHA-256 of the canonical
 * manifest (src/data/manifest.ts: entries sorted by path, one JSON line each), exactly as Cairn
 * hashes a tracked directory. Object stores keep no file modes, so every entry is 0o644: the same
 * files give the same hash wherever they are stored. Undefined for an empty (or missing) package.
 */
export async function hashModelPackage(files: PackageFiles): Promise<PackageHash | undefined> {
  const listed: { path: string; size: number }[] = [];
  for await (const file of files.list()) listed.push(file);
  if (listed.length === 0) return undefined;
  const entries = await mapConcurrent(listed, PARALLEL_READS, async (file): Promise<ManifestEntry> => {
    const { hash, size } = await hashStream(await files.read(file.path));
    return { path: file.path, hash, size, mode: 0o644 };
  });
  const { digest, size } = encodeManifest({ entries });
  return { digest, files: entries.length, size };
}
