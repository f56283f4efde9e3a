import { existsSync } from 'node:fs';
import type { DataContext } from '../../data/data-context.ts';
import { profileFormatOf, profileTable } from '../../data/profile/data-profile.ts';
import type { Digest } from '../../kernel/hashing.ts';

/**
 * Rows of a CSV / TSV / Parquet data set by content hash: its stored profile, else a profile
 * computed now from the local cache (and stored); undefined for other formats, directories, or
 * content the cache does not hold.
 */
export function datasetRows(data: DataContext): (hash: string, path: string) => Promise<number | undefined> {
  return async (hash, path) => {
    const format = profileFormatOf(path);
    if (!format) return undefined;
    const digest = hash as Digest;
    const known = await data.profiles.get(digest);
    if (known) return known.rows;
    const file = data.cache.pathOf(digest);
    if (!existsSync(file)) return undefined;
    const profile = await profileTable(file, format);
    await data.profiles.put(digest, profile);
    return profile.rows;
  };
}
