/**
 * The registry of Cairn's error codes. Each code has one HTTP status and one CLI exit code;
 * `docs/errors.md` documents every code (a test keeps the two in sync).
 *
 * Branch on `err.code`, never on `instanceof`: an error rebuilt from an HTTP body by the SDK
 * carries the same code as the one thrown in the server.
 */
export const ERROR_CODES = {
  INVALID_ARGUMENT: { http: 400, exit: 2, summary: 'The input is malformed or out of range.' },
  NOT_FOUND: { http: 404, exit: 1, summary: 'The named thing does not exist.' },
  ALREADY_EXISTS: { http: 409, exit: 1, summary: 'The thing to create exists already.' },
  FAILED_PRECONDITION: {
    http: 412,
    exit: 1,
    summary: 'The system is not in the state the operation needs.',
  },
  INTEGRITY_ERROR: {
    http: 500,
    exit: 1,
    summary: 'Stored content does not match its hash, or a file is corrupt.',
  },
  UNAVAILABLE: {
    http: 503,
    exit: 1,
    summary: 'A backend (database, object store, remote) cannot be reached.',
  },
  UNAUTHENTICATED: { http: 401, exit: 1, summary: 'No valid credentials were given.' },
  PERMISSION_DENIED: {
    http: 403,
    exit: 1,
    summary: 'The credentials do not allow this operation.',
  },
  RESOURCE_EXHAUSTED: {
    http: 429,
    exit: 1,
    summary: 'A limit was reached: disk full, body too large, too many requests.',
  },
  CONFLICT: {
    http: 409,
    exit: 1,
    summary: 'Another operation holds the resource (a lock, a concurrent write).',
  },
  CANCELLED: { http: 499, exit: 1, summary: 'The operation was interrupted.' },
  DEADLINE_EXCEEDED: {
    http: 504,
    exit: 1,
    summary: 'The operation did not finish before its deadline.',
  },
  INTERNAL: { http: 500, exit: 1, summary: 'A bug in Cairn; please report it.' },
} as const satisfies Record<string, { http: number; exit: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as ErrorCode[];

export interface CairnErrorOptions {
  cause?: unknown;
  /** Machine-readable context (a path, a hash, a run id) for JSON output and API bodies. */
  details?: Record<string, unknown>;
  /** What the user can do about it, printed after the message. */
  hint?: string;
}

export class CairnError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: CairnErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CairnError';
    this.code = code;
    this.details = options.details;
    this.hint = options.hint;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }
}

export function isCairnError(err: unknown): err is CairnError {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'string' &&
    (err as { code: string }).code in ERROR_CODES &&
    (err as { name?: unknown }).name === 'CairnError'
  );
}

/** Shorthand constructors keep call sites to one line. */
export const errors = {
  invalid: (message: string, options?: CairnErrorOptions) =>
    new CairnError('INVALID_ARGUMENT', message, options),
  notFound: (message: string, options?: CairnErrorOptions) => new CairnError('NOT_FOUND', message, options),
  exists: (message: string, options?: CairnErrorOptions) =>
    new CairnError('ALREADY_EXISTS', message, options),
  precondition: (message: string, options?: CairnErrorOptions) =>
    new CairnError('FAILED_PRECONDITION', message, options),
  integrity: (message: string, options?: CairnErrorOptions) =>
    new CairnError('INTEGRITY_ERROR', message, options),
  unavailable: (message: string, options?: CairnErrorOptions) =>
    new CairnError('UNAVAILABLE', message, options),
  exhausted: (message: string, options?: CairnErrorOptions) =>
    new CairnError('RESOURCE_EXHAUSTED', message, options),
  conflict: (message: string, options?: CairnErrorOptions) => new CairnError('CONFLICT', message, options),
  internal: (message: string, options?: CairnErrorOptions) => new CairnError('INTERNAL', message, options),
  deadline: (message: string, options?: CairnErrorOptions) =>
    new CairnError('DEADLINE_EXCEEDED', message, options),
};

const NODE_FS_CODES: Record<string, { code: ErrorCode; what: string; hint?: string }> = {
  ENOENT: { code: 'NOT_FOUND', what: 'does not exist' },
  EEXIST: { code: 'ALREADY_EXISTS', what: 'exists already' },
  EACCES: {
    code: 'PERMISSION_DENIED',
    what: 'is not accessible',
    hint: 'check the file permissions',
  },
  EPERM: {
    code: 'PERMISSION_DENIED',
    what: 'is not accessible',
    hint: 'check the file permissions',
  },
  ENOSPC: {
    code: 'RESOURCE_EXHAUSTED',
    what: 'could not be written: no space left on device',
    hint: 'free disk space and run the command again; nothing was half-written',
  },
  EDQUOT: {
    code: 'RESOURCE_EXHAUSTED',
    what: 'could not be written: disk quota exceeded',
    hint: 'free disk space and run the command again; nothing was half-written',
  },
  EISDIR: { code: 'INVALID_ARGUMENT', what: 'is a directory' },
  ENOTDIR: { code: 'INVALID_ARGUMENT', what: 'is not a directory' },
  EROFS: { code: 'PERMISSION_DENIED', what: 'is on a read-only file system' },
};

/**
 * Turns a Node.js system error about `path` into a CairnError with a message a user can act on.
 * Anything that is not a recognised system error is returned unchanged.
 */
export function fromSystemError(err: unknown, path: string): unknown {
  if (isCairnError(err)) return err;
  const sys = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  const known = typeof sys === 'string' ? NODE_FS_CODES[sys] : undefined;
  if (!known) return err;
  return new CairnError(known.code, `${path} ${known.what}`, {
    cause: err,
    details: { path, errno: sys },
    ...(known.hint ? { hint: known.hint } : {}),
  });
}
