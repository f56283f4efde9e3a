import { CairnError, type ErrorCode, isCairnError } from '../../kernel/errors.ts';

/** SQLSTATEs after which the whole transaction may succeed if run again. */
const RETRYABLE = new Set(['40001', '40P01']);

/** Node.js socket and resolver errors that mean the server cannot be reached. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'EADDRNOTAVAIL',
]);
const RESOLVER_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME']);

/** The SQLSTATE of a server error, or the errno-style code of a socket error. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // A host name with several addresses fails with an AggregateError of one error per address.
  const first = (err as { errors?: unknown[] }).errors?.[0];
  return first === undefined ? undefined : errorCode(first);
}

export function isRetryable(code: string | undefined): boolean {
  return code !== undefined && RETRYABLE.has(code);
}

/**
 * Turns a driver error into a CairnError where a user can act on it: the server cannot be reached,
 * rejects the credentials, lacks the database, or a row exists already. Other database errors (a
 * syntax error, a failed check constraint) are returned unchanged. Messages name `uri`, which has
 * its password removed; nothing here copies the connection string itself.
 */
export function toCairnError(err: unknown, uri: string): unknown {
  if (isCairnError(err) || typeof err !== 'object' || err === null) return err;
  const code = errorCode(err);
  const message = (err as { message?: unknown }).message;
  const reason = typeof message === 'string' && message !== '' ? message : String(code ?? 'unknown error');
  const fail = (as: ErrorCode, what: string, hint: string) =>
    new CairnError(as, what, { cause: err, hint, details: { uri, ...(code ? { code } : {}) } });

  if (code === 'ERR_INVALID_URL')
    // Node's URL error carries the whole input, password included: do not keep it as the cause.
    return new CairnError('INVALID_ARGUMENT', `${uri} is not a valid PostgreSQL URI`, {
      hint: 'use postgresql://user:password@host:5432/database (percent-encode special characters)',
      details: { uri },
    });
  if (code !== undefined && RESOLVER_CODES.has(code))
    return fail(
      'UNAVAILABLE',
      `cannot resolve the host of ${uri}: ${reason}`,
      'check the host name in the URI',
    );
  if ((code !== undefined && NETWORK_CODES.has(code)) || code?.startsWith('08') || isDriverDisconnect(reason))
    return fail(
      'UNAVAILABLE',
      `cannot reach PostgreSQL at ${uri}: ${reason}`,
      'check that the server is running and accepts TCP connections on that host and port',
    );
  if (code === '28P01' || code === '28000' || reason.startsWith('SASL:'))
    return fail(
      'UNAUTHENTICATED',
      `PostgreSQL at ${uri} rejected the login: ${reason}`,
      'check the user name and password in the URI, and pg_hba.conf on the server',
    );
  if (code === '3D000')
    return fail(
      'UNAVAILABLE',
      `PostgreSQL at ${uri}: ${reason}`,
      'create the database (createdb <name>) or correct its name in the URI',
    );
  if (code === '57P01' || code === '57P02' || code === '57P03')
    return fail(
      'UNAVAILABLE',
      `PostgreSQL at ${uri} is not accepting connections: ${reason}`,
      'wait for the server to finish starting or restarting, then try again',
    );
  if (code === '53300')
    return fail(
      'RESOURCE_EXHAUSTED',
      `PostgreSQL at ${uri} has no free connection slots: ${reason}`,
      'lower the pool size of the clients or raise max_connections on the server',
    );
  if (code === '23505') return uniqueViolation(err, uri);
  return err;
}

function uniqueViolation(err: object, uri: string): CairnError {
  const { constraint, table, detail } = err as { constraint?: string; table?: string; detail?: string };
  const where = table ? `in ${table} ` : '';
  const which = detail ? `: ${detail}` : '';
  return new CairnError('ALREADY_EXISTS', `a row ${where}exists already (constraint ${constraint})${which}`, {
    cause: err,
    details: { uri, code: '23505', constraint, table },
  });
}

/** pg reports a dropped or timed-out connection with a message and no code. */
function isDriverDisconnect(message: string): boolean {
  return /^Connection terminated|timeout exceeded when trying to connect|^Client has encountered a connection error/.test(
    message,
  );
}
