/** What a request's Authorization header carries. */
export type Credentials =
  | { kind: 'none' }
  | { kind: 'bearer'; token: string }
  | { kind: 'basic'; user: string; password: string }
  | { kind: 'malformed'; message: string };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Reads `Authorization: Bearer <token>` (what MLflow clients send for MLFLOW_TRACKING_TOKEN) or
 * `Authorization: Basic <base64 user:password>` (MLFLOW_TRACKING_USERNAME / _PASSWORD).
 */
export function parseAuthorization(header: string | undefined): Credentials {
  if (header === undefined || header.trim() === '') return { kind: 'none' };
  const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(header);
  const scheme = match?.[1]?.toLowerCase();
  const value = match?.[2] ?? '';
  if (scheme === 'bearer') return { kind: 'bearer', token: value };
  if (scheme === 'basic') {
    if (!BASE64.test(value)) return { kind: 'malformed', message: 'malformed Basic credentials' };
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0)
      return { kind: 'malformed', message: 'malformed Basic credentials: no ":" after the user name' };
    return { kind: 'basic', user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return {
    kind: 'malformed',
    message: 'unsupported Authorization header: use "Bearer <token>" or HTTP Basic',
  };
}
