import { randomBytes } from 'node:crypto';
import { CairnError, errors } from '../kernel/errors.ts';
import type { MetadataStore } from '../store/metadata-store.ts';
import { formatToken, newTokenParts, parseToken, TOKEN_ID_PATTERN } from './auth-token.ts';
import { isRole, type Principal, ROLES, type Role } from './roles.ts';
import { hashSecret, verifySecret } from './secret-hash.ts';
import { SECURITY_MIGRATIONS } from './security-migrations.ts';
import { VerifiedCache } from './verified-cache.ts';

export interface User {
  name: string;
  role: Role;
  createdAt: number;
  updatedAt: number;
}

/** A token as listed: everything but its secret. Times are milliseconds since the epoch. */
export interface TokenInfo {
  id: string;
  role: Role;
  name: string | null;
  /** Who issued it: an admin's name (HTTP API) or `cli:<os user>` (the CLI). */
  createdBy: string | null;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export interface CreateUserOptions {
  name: string;
  password: string;
  role: Role;
}

export interface CreateTokenOptions {
  role: Role;
  /** Lifetime in milliseconds; without it the token lasts until revoked. */
  expiresInMs?: number;
  /** A label such as `ci`. */
  name?: string;
  createdBy?: string;
}

export interface CreatedToken {
  /** The plaintext token: shown to its creator once, never stored. */
  token: string;
  info: TokenInfo;
}

export interface AuthStoreOptions {
  /** The clock (milliseconds); tests pass their own. */
  now?: () => number;
}

interface TokenRow {
  id: string;
  secret_hash: string;
  role: string;
  name: string | null;
  created_by: string | null;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  [key: string]: unknown;
}

interface UserRow {
  name: string;
  password_hash: string;
  role: string;
  created_at: number;
  updated_at: number;
  [key: string]: unknown;
}

const TOKEN_COLUMNS =
  'id, secret_hash, role, name, created_by, created_at, expires_at, revoked_at, last_used_at';
const USER_COLUMNS = 'name, password_hash, role, created_at, updated_at';
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 1024;
const MAX_LIFETIME_MS = 10 * 366 * 86_400_000;
/** last_used_at is written at most once a minute per token, not on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

function unauthenticated(message: string, hint?: string): CairnError {
  return new CairnError('UNAUTHENTICATED', message, hint ? { hint } : {});
}

/**
 * Users (HTTP Basic) and API tokens (bearer) in the metadata store, with their roles. Secrets are
 * kept only as salted scrypt hashes; a token is returned in plaintext once, by createToken.
 * The tables (SECURITY_MIGRATIONS) are created on first use.
 *
 * @example
 * const auth = new AuthStore(metadata);
 * const { token } = await auth.createToken({ role: 'editor', expiresInMs: parseDuration('30d'), name: 'ci' });
 * const who = await auth.verifyBearer(token); // { kind: 'token', name: 'token:ci', role: 'editor', … }
 */
export class AuthStore {
  readonly #db: MetadataStore;
  readonly #now: () => number;
  readonly #verified = new VerifiedCache();
  #ready: Promise<void> | undefined;
  #dummyHash: Promise<string> | undefined;

  constructor(metadata: MetadataStore, options: AuthStoreOptions = {}) {
    this.#db = metadata;
    this.#now = options.now ?? Date.now;
  }

  async createUser(options: CreateUserOptions): Promise<User> {
    checkUserName(options.name);
    checkPassword(options.password);
    checkRole(options.role);
    await this.#init();
    const hash = await hashSecret(options.password);
    const now = this.#now();
    const { changes } = await this.#db.run(
      `INSERT INTO security_users (${USER_COLUMNS}) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
      [options.name, hash, options.role, now, now],
    );
    if (changes === 0)
      throw errors.exists(`user "${options.name}" exists already`, {
        details: { user: options.name },
        hint: `to change the password: cairn user set-password ${options.name} --password-stdin`,
      });
    return { name: options.name, role: options.role, createdAt: now, updatedAt: now };
  }

  async setPassword(name: string, password: string): Promise<void> {
    checkPassword(password);
    await this.#init();
    const hash = await hashSecret(password);
    const { changes } = await this.#db.run(
      'UPDATE security_users SET password_hash = ?, updated_at = ? WHERE name = ?',
      [hash, this.#now(), name],
    );
    if (changes === 0) throw userNotFound(name);
  }

  async listUsers(): Promise<User[]> {
    await this.#init();
    const rows = await this.#db.all<UserRow>(`SELECT ${USER_COLUMNS} FROM security_users ORDER BY name`);
    return rows.map(toUser);
  }

  /** Issues a token; the plaintext is in the result and nowhere else. */
  async createToken(options: CreateTokenOptions): Promise<CreatedToken> {
    checkRole(options.role);
    const lifetime = options.expiresInMs;
    if (
      lifetime !== undefined &&
      !(Number.isInteger(lifetime) && lifetime > 0 && lifetime <= MAX_LIFETIME_MS)
    )
      throw errors.invalid(`token lifetime must be a whole number of milliseconds between 1 and 10 years`);
    const name = options.name?.trim() || null;
    if (name !== null && (name.length > 100 || /\p{Cc}/u.test(name)))
      throw errors.invalid('token name must be at most 100 characters without control characters');
    await this.#init();
    const parts = newTokenParts();
    const now = this.#now();
    const info: TokenInfo = {
      id: parts.id,
      role: options.role,
      name,
      createdBy: options.createdBy ?? null,
      createdAt: now,
      expiresAt: lifetime === undefined ? null : now + lifetime,
      revokedAt: null,
      lastUsedAt: null,
    };
    await this.#db.run(
      `INSERT INTO security_tokens (${TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL)`,
      [info.id, await hashSecret(parts.secret), info.role, info.name, info.createdBy, now, info.expiresAt],
    );
    return { token: formatToken(parts), info };
  }

  /** Revokes a token at once; revoking it again changes nothing. */
  async revokeToken(id: string): Promise<TokenInfo> {
    if (!TOKEN_ID_PATTERN.test(id))
      throw errors.invalid(`"${id}" is not a token id (16 hex digits)`, {
        hint: 'cairn token list shows the ids',
      });
    await this.#init();
    await this.#db.run('UPDATE security_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [
      this.#now(),
      id,
    ]);
    const row = await this.#db.get<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM security_tokens WHERE id = ?`, [
      id,
    ]);
    if (!row)
      throw errors.notFound(`no token with id ${id}`, {
        details: { id },
        hint: 'cairn token list shows the ids',
      });
    return toTokenInfo(row);
  }

  /** Every token, revoked and expired ones included, oldest first. */
  async listTokens(): Promise<TokenInfo[]> {
    await this.#init();
    const rows = await this.#db.all<TokenRow>(
      `SELECT ${TOKEN_COLUMNS} FROM security_tokens ORDER BY created_at, id`,
    );
    return rows.map(toTokenInfo);
  }

  /** True when some user exists or some token is neither revoked nor expired. */
  async hasCredentials(): Promise<boolean> {
    await this.#init();
    const user = await this.#db.get('SELECT name FROM security_users LIMIT 1');
    if (user) return true;
    const token = await this.#db.get(
      'SELECT id FROM security_tokens WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?) LIMIT 1',
      [this.#now()],
    );
    return token !== undefined;
  }

  /**
   * The principal a bearer token stands for. Throws UNAUTHENTICATED for a malformed, unknown,
   * wrong, revoked or expired token; only a holder of the right secret learns which of the last
   * two it is.
   */
  async verifyBearer(token: string): Promise<Principal> {
    const parts = parseToken(token);
    if (!parts) throw unauthenticated('invalid token', 'Cairn tokens look like cairn_<id>_<secret>');
    await this.#init();
    const row = await this.#db.get<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM security_tokens WHERE id = ?`, [
      parts.id,
    ]);
    if (!row || !(await this.#matches(token, parts.secret, row.secret_hash)))
      throw unauthenticated('invalid token');
    const now = this.#now();
    const renew = 'ask an admin for a new one (cairn token create)';
    if (row.revoked_at !== null) throw unauthenticated(`token ${row.id} was revoked`, renew);
    if (row.expires_at !== null && row.expires_at <= now)
      throw unauthenticated(`token ${row.id} expired at ${new Date(row.expires_at).toISOString()}`, renew);
    if (row.last_used_at === null || now - row.last_used_at >= LAST_USED_RESOLUTION_MS)
      // Bookkeeping only: a busy or read-only database must not turn a valid token away.
      await this.#db
        .run('UPDATE security_tokens SET last_used_at = ? WHERE id = ?', [now, row.id])
        .catch(() => undefined);
    const role = checkStoredRole(row.role);
    return { kind: 'token', name: `token:${row.name ?? row.id}`, role, tokenId: row.id };
  }

  /** The principal a user name and password stand for; UNAUTHENTICATED when they do not match. */
  async verifyBasic(name: string, password: string): Promise<Principal> {
    await this.#init();
    const row = USER_NAME.test(name)
      ? await this.#db.get<UserRow>(`SELECT ${USER_COLUMNS} FROM security_users WHERE name = ?`, [name])
      : undefined;
    // An unknown user costs the same scrypt as a known one, so timing does not tell names apart.
    const stored = row?.password_hash ?? (await this.#dummy());
    const ok = await this.#matches(`${name}\u0000${password}`, password, stored);
    if (!row || !ok) throw unauthenticated('invalid user name or password');
    return { kind: 'user', name: row.name, role: checkStoredRole(row.role) };
  }

  async #matches(credential: string, secret: string, stored: string): Promise<boolean> {
    if (this.#verified.has(credential, stored)) return true;
    const ok = await verifySecret(secret, stored);
    if (ok) this.#verified.add(credential, stored);
    return ok;
  }

  #dummy(): Promise<string> {
    this.#dummyHash ??= hashSecret(randomBytes(16).toString('hex'));
    return this.#dummyHash;
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

function checkUserName(name: string): void {
  if (!USER_NAME.test(name))
    throw errors.invalid(`invalid user name "${name}"`, {
      hint: 'use up to 128 letters, digits and . _ @ + - (starting with a letter or digit)',
    });
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD)
    throw errors.invalid(`a password must have between ${MIN_PASSWORD} and ${MAX_PASSWORD} characters`);
}

function checkRole(role: unknown): asserts role is Role {
  if (!isRole(role)) throw errors.invalid(`invalid role "${String(role)}": use one of ${ROLES.join(', ')}`);
}

function checkStoredRole(role: string): Role {
  if (!isRole(role)) throw errors.integrity(`a stored credential has the unknown role "${role}"`);
  return role;
}

function userNotFound(name: string): CairnError {
  return errors.notFound(`no user "${name}"`, {
    details: { user: name },
    hint: `add it with: cairn user add ${name} --role viewer --password-stdin`,
  });
}

function toUser(row: UserRow): User {
  return {
    name: row.name,
    role: checkStoredRole(row.role),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toTokenInfo(row: TokenRow): TokenInfo {
  return {
    id: row.id,
    role: checkStoredRole(row.role),
    name: row.name,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}
