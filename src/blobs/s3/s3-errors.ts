import { CairnError, type ErrorCode, isCairnError } from '../../kernel/errors.ts';

/** What a failed request was about, for the message. */
export interface S3ErrorContext {
  /** The endpoint URL as configured, or the AWS endpoint the region implies. */
  endpoint: string;
  bucket: string;
  /** `s3://bucket/prefix/key` of the object, or the store's location. */
  target: string;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
]);
const BAD_CREDENTIALS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
]);
const THROTTLED = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestTimeout',
  'ServiceUnavailable',
]);

const CREDENTIALS_HINT =
  'set access_key_id and secret_access_key for this remote in .cairn/config.local.yaml, ' +
  'or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment';

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  errors?: { code?: string }[];
  $metadata?: { httpStatusCode?: number };
}

function shape(err: unknown): SdkErrorShape {
  return typeof err === 'object' && err !== null ? (err as SdkErrorShape) : {};
}

/** The system error code of a failed connection (Node puts it on an AggregateError's members too). */
function networkCode(err: unknown): string | undefined {
  const e = shape(err);
  const code = e.code ?? e.errors?.find((x) => typeof x.code === 'string')?.code;
  return code !== undefined && NETWORK_CODES.has(code) ? code : undefined;
}

export function httpStatus(err: unknown): number | undefined {
  return shape(err).$metadata?.httpStatusCode;
}

/** True for a missing object or bucket answered to HEAD, which has no body to name the error. */
export function isNotFound(err: unknown): boolean {
  const name = shape(err).name;
  return httpStatus(err) === 404 || name === 'NotFound' || name === 'NoSuchKey';
}

/** Failures worth one more try: the network, throttling, the server's own errors. */
export function isTransient(err: unknown): boolean {
  const status = httpStatus(err) ?? 0;
  const name = shape(err).name ?? '';
  return networkCode(err) !== undefined || name === 'TimeoutError' || THROTTLED.has(name) || status >= 500;
}

/**
 * Turns an error from the S3 client into a CairnError whose message names the endpoint and
 * bucket and says what to do. CairnErrors pass through. Messages never carry credentials: for
 * authentication failures only the S3 error code is shown, not the server's text.
 */
export function fromS3Error(err: unknown, ctx: S3ErrorContext): CairnError {
  if (isCairnError(err)) return err;
  const e = shape(err);
  const status = httpStatus(err);
  // Answers without a body (to HEAD) carry no S3 error code; the SDK calls them "Unknown" or by status.
  const name =
    e.name === undefined || e.name === 'Unknown' || /^\d+$/.test(e.name) ? `HTTP ${status ?? '?'}` : e.name;
  const details = { endpoint: ctx.endpoint, bucket: ctx.bucket, s3Error: name, httpStatus: status };
  const make = (code: ErrorCode, message: string, hint?: string) =>
    new CairnError(code, message, { cause: err, details, ...(hint !== undefined ? { hint } : {}) });

  const net = networkCode(err);
  const reachHint = 'check remotes.<name>.endpoint in .cairn/config.yaml and that the server is running';
  if (net !== undefined)
    return make('UNAVAILABLE', `cannot reach S3 endpoint ${ctx.endpoint}: ${net}`, reachHint);
  if (name === 'TimeoutError')
    return /establish a connection/.test(e.message ?? '')
      ? make(
          'UNAVAILABLE',
          `cannot reach S3 endpoint ${ctx.endpoint}: no connection within the timeout`,
          reachHint,
        )
      : make('UNAVAILABLE', `S3 endpoint ${ctx.endpoint} stopped answering during ${ctx.target}`, reachHint);
  if (name === 'CredentialsProviderError')
    return make(
      'UNAUTHENTICATED',
      `no credentials for S3 bucket ${ctx.bucket} at ${ctx.endpoint}`,
      CREDENTIALS_HINT,
    );
  if (BAD_CREDENTIALS.has(name))
    return make(
      'UNAUTHENTICATED',
      `S3 endpoint ${ctx.endpoint} refused the credentials for bucket ${ctx.bucket} (${name})`,
      CREDENTIALS_HINT,
    );
  if (name === 'AccessDenied' || status === 403)
    return make(
      'PERMISSION_DENIED',
      `access denied to ${ctx.target} at ${ctx.endpoint} (${name})`,
      `check the credentials (${CREDENTIALS_HINT}) and that they may read and write the bucket`,
    );
  if (name === 'NoSuchBucket') return missingBucket(err, ctx);
  if (status === undefined)
    return make('INTERNAL', `unexpected failure talking to S3 about ${ctx.target}: ${name}: ${e.message}`);
  if (name === 'NoSuchKey' || status === 404) return make('NOT_FOUND', `${ctx.target} does not exist`);
  const what = `S3 request for ${ctx.target} at ${ctx.endpoint} failed: ${name}${e.message ? `: ${e.message}` : ''}`;
  if (THROTTLED.has(name) || status >= 500)
    return make('UNAVAILABLE', what, 'the server is busy or failing; run the command again later');
  if (status === 409) return make('CONFLICT', what);
  if (status === 400 || status === 411 || status === 413) return make('INVALID_ARGUMENT', what);
  return make('UNAVAILABLE', what);
}

/** NOT_FOUND for a bucket that does not exist, with how to create it. */
export function missingBucket(err: unknown, ctx: S3ErrorContext): CairnError {
  return new CairnError('NOT_FOUND', `S3 bucket ${ctx.bucket} does not exist at ${ctx.endpoint}`, {
    cause: err,
    details: { endpoint: ctx.endpoint, bucket: ctx.bucket, s3Error: 'NoSuchBucket' },
    hint: `create it (e.g. \`aws s3 mb s3://${ctx.bucket}\` or \`mc mb <alias>/${ctx.bucket}\`) or fix the remote's url`,
  });
}
