import { errors } from '../../kernel/errors.ts';
import type { Digest } from '../../kernel/hashing.ts';
import type { MetadataStore, Migration } from '../../store/metadata-store.ts';
import type { DataProfile } from './data-profile.ts';

export const PROFILE_MIGRATIONS: Migration[] = [
  {
    id: 'data-002-profiles',
    sql: `CREATE TABLE data_profiles (
      digest TEXT PRIMARY KEY,
      format TEXT NOT NULL,
      rows BIGINT NOT NULL,
      profile TEXT NOT NULL,
      created_at BIGINT NOT NULL
    )`,
  },
];

/**
 * Data profiles by content hash: a file's profile is computed once per content, whatever its path
 * or however many workspaces share it. Owner of the `data_profiles` table.
 */
export class ProfileStore {
  readonly #store: MetadataStore;

  constructor(store: MetadataStore) {
    this.#store = store;
  }

  async get(digest: Digest): Promise<DataProfile | undefined> {
    const row = await this.#store.get<{ profile: string }>(
      'SELECT profile FROM data_profiles WHERE digest = ?',
      [digest],
    );
    if (!row) return undefined;
    try {
      return JSON.parse(row.profile) as DataProfile;
    } catch (err) {
      throw errors.integrity(
        `the stored profile of ${digest} in ${this.#store.displayUri} is not valid JSON`,
        {
          cause: err,
          details: { digest },
          hint: 'profile the file again to replace it',
        },
      );
    }
  }

  /** Stores `profile` as the profile of `digest`, replacing any earlier one. */
  async put(digest: Digest, profile: DataProfile): Promise<void> {
    await this.#store.run(
      `INSERT INTO data_profiles (digest, format, rows, profile, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (digest) DO UPDATE SET format = excluded.format, rows = excluded.rows,
         profile = excluded.profile, created_at = excluded.created_at`,
      [digest, profile.format, profile.rows, JSON.stringify(profile), Date.now()],
    );
  }
}
