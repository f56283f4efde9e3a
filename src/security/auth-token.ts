import { randomBytes } from 'node:crypto';

/**
 * Tokens read `cairn_<id>_<secret>`: the id (16 hex digits) finds the stored row, the secret
 * (32 random bytes, base64url) is checked against that row's hash. The id is not secret; it is
 * what `cairn token list` shows and `cairn token revoke` takes. The fixed prefix lets secret
 * scanners recognise a leaked token.
 */
export const TOKEN_PREFIX = 'cairn_';
const TOKEN_PATTERN = /^cairn_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
export const TOKEN_ID_PATTERN = /^[0-9a-f]{16}$/;

export interface TokenParts {
  id: string;
  secret: string;
}

export function newTokenParts(): TokenParts {
  return { id: randomBytes(8).toString('hex'), secret: randomBytes(32).toString('base64url') };
}

export function formatToken(parts: TokenParts): string {
  return `${TOKEN_PREFIX}${parts.id}_${parts.secret}`;
}

/** The id and secret of a well-formed token, or undefined. */
export function parseToken(token: string): TokenParts | undefined {
  const m = TOKEN_PATTERN.exec(token);
  return m?.[1] && m[2] ? { id: m[1], secret: m[2] } : undefined;
}
