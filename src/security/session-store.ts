import { createHash, randomBytes } from 'node:crypto';
import { CairnError } from '../kernel/errors.ts';
import type { MetadataStore } from '../store/metadata-store.ts';
import { isRole, type Principal } from './roles.ts';
import { SECURITY_MIGRATIONS } from './security-migrations.ts';

/** A signed-in browser: who it acts as, and the token its writing requests must echo. */
export interface Session {
  principal: Principal;
  /** Sent back by the web UI in the X-CSRF-Token header of every request that writes. */
  csrfToken: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

export interface SessionStoreOptions {
  /** How long a session lasts from sign-in, in milliseconds (default 12 hours). */
  lifetimeMs?: number;
  now?: () => number;
}

/** A session's lifetime unless configured: a working day, after which the browser signs in again. */
export const DEFAULT_SESSION_LIFETIME_MS = 12 * 3_600_000;

interface SessionRow {
  [column: string]: unknown;
  csrf_token: string;
  kind: string;
  subject: string;
  created_at: number;
  expires_at: number;
  role: string | null;
  name: string | null;
  updated_at: number | null;
  revoked_at: number | null;
  token_expires_at: number | null;
}

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

function hashOf(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

function signedOut(message: string): CairnError {
  return new CairnError('UNAUTHENTICATED', message, { hint: 'sign in again' });
}

/**
 * Web sessions in the metadata store, for the browser UI: a sign-in (checked by the caller with
 * AuthStore) becomes a random 256-bit session id, kept by the browser in an HttpOnly cookie and
 * stored here only as its SHA-256. A session acts with its user's or token's role as it is at
 * each request: it ends when its user's password changes, when its token is revoked or expires,
 * and after its lifetime, whichever comes first. Several servers sharing one database share
 * their sessions.
 */
export class SessionStore {
  readonly #db: MetadataStore;
  readonly #lifetime: number;
  readonly #now: () => number;
  #ready: Promise<void> | undefined;

  constructor(metadata: MetadataStore, options: SessionStoreOptions = {}) {
    this.#db = metadata;
    this.#lifetime = options.lifetimeMs ?? DEFAULT_SESSION_LIFETIME_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Starts a session for a principal AuthStore verified; `id` is the cookie's value, shown once. */
  async create(principal: Principal): Promise<{ id: string; session: Session }> {
    await this.#init();
    const id = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const now = this.#now();
    const expiresAt = now + this.#lifetime;
    const subject = principal.kind === 'token' ? principal.tokenId : principal.name;
    if (subject === undefined) throw new Error('a token principal without a token id');
    await this.#db.run('DELETE FROM security_sessions WHERE expires_at <= ?', [now]);
    await this.#db.run(
      `INSERT INTO security_sessions (id_hash, csrf_token, kind, subject, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      [hashOf(id), csrfToken, principal.kind, subject, now, expiresAt],
    );
    return { id, session: { principal, csrfToken, expiresAt } };
  }

  /** The session a cookie names; UNAUTHENTICATED when it is unknown, ended or its credential is gone. */
  async verify(id: string): Promise<Session> {
    if (!SESSION_ID.test(id)) throw signedOut('invalid session');
    await this.#init();
    const row = await this.#db.get<SessionRow>(
      `SELECT s.csrf_token, s.kind, s.subject, s.created_at, s.expires_at,
              COALESCE(u.role, t.role) AS role, t.name, u.updated_at, t.revoked_at,
              t.expires_at AS token_expires_at
       FROM security_sessions s
       LEFT JOIN security_users u ON s.kind = 'user' AND u.name = s.subject
       LEFT JOIN security_tokens t ON s.kind = 'token' AND t.id = s.subject
       WHERE s.id_hash = ?`,
      [hashOf(id)],
    );
    const now = this.#now();
    if (!row) throw signedOut('invalid session');
    if (row.expires_at <= now) throw signedOut('the session expired');
    if (!isRole(row.role)) throw signedOut('the session\u2019s user or token no longer exists');
    if (row.kind === 'user' && row.updated_at !== null && row.updated_at > row.created_at)
      throw signedOut('the password changed since this session began');
    if (row.kind === 'token') {
      if (row.revoked_at !== null) throw signedOut(`token ${row.subject} was revoked`);
      if (row.token_expires_at !== null && row.token_expires_at <= now)
        throw signedOut(`token ${row.subject} expired`);
    }
    const principal: Principal =
      row.kind === 'token'
        ? { kind: 'token', name: `token:${row.name ?? row.subject}`, role: row.role, tokenId: row.subject }
        : { kind: 'user', name: row.subject, role: row.role };
    return { principal, csrfToken: row.csrf_token, expiresAt: row.expires_at };
  }

  /** Ends a session (signing out); an unknown id changes nothing. */
  async end(id: string): Promise<void> {
    if (!SESSION_ID.test(id)) return;
    await this.#init();
    await this.#db.run('DELETE FROM security_sessions WHERE id_hash = ?', [hashOf(id)]);
  }

  #init(): Promise<void> {
    this.#ready ??= this.#db
      .migrate(SECURITY_MIGRATIONS)
      .then(() => undefined)
      .catch((err: unknown) => {
        this.#ready = undefined;
        throw err;
      });
    return this.#ready;
  }
}
