import type { Migration } from '../store/metadata-store.ts';

/**
 * The tables of users and API tokens, owned by AuthStore. Secrets are stored only as salted
 * scrypt hashes (see secret-hash.ts); times are milliseconds since the epoch.
 */
export const SECURITY_MIGRATIONS: Migration[] = [
  {
    id: 'security-001-users-tokens',
    sql: `
CREATE TABLE security_users (
  name TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE security_tokens (
  id TEXT PRIMARY KEY,
  secret_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
  name TEXT,
  created_by TEXT,
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  revoked_at BIGINT,
  last_used_at BIGINT
);`,
  },
];
