/**
 * The roles a credential can carry, weakest first. Each role may do everything the roles before
 * it may do: a viewer reads everything; an editor also writes experiments, runs, models and
 * artifacts; an admin also manages users and tokens.
 */
export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** True when a credential with role `have` may do what needs role `need`. */
export function roleAllows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** Who a request acts as, once its credentials were verified. */
export interface Principal {
  kind: 'user' | 'token';
  /** The user name, or the token's name (`token:<id>` when it has none). */
  name: string;
  role: Role;
  /** The token id, for a token. */
  tokenId?: string;
}
