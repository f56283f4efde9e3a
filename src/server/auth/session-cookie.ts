/** The cookie that carries a web session's id (see SessionStore). */
export const SESSION_COOKIE = 'cairn_session';

/** The header a browser echoes the session's CSRF token in, on every request that writes. */
export const CSRF_HEADER = 'x-csrf-token';

/** Methods that never change anything; every other method needs the CSRF header with a session cookie. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The session id in a Cookie header, if any. */
export function readSessionCookie(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Set-Cookie for a new session: HttpOnly (page scripts never see it), SameSite=Strict (no other
 * site's page sends it), Path=/, for `maxAgeSeconds`; Secure when the request came over HTTPS.
 */
export function sessionSetCookie(id: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** Set-Cookie that removes the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}
