import type { Migration } from '../store/metadata-store.ts';

/**
 * The tables of users and API tokens, owned by AuthStore, and of web sessions, owned by
 * SessionStore. Secrets are stored only as hashes (salted scrypt for passwords and tokens, see
 * secret-hash.ts; SHA-256 for the 256-bit random session ids); times are milliseconds since the epoch.
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
  {
    id: 'security-002-sessions',
    sql: `
CREATE TABLE security_sessions (
  id_hash TEXT PRIMARY KEY,
  csrf_token TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('user', 'token')),
  subject TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX security_sessions_by_expiry ON security_sessions (expires_at);`,
  },
];
