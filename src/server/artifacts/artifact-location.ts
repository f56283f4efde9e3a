import { BlockList, isIP } from 'node:net';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errors } from '../../kernel/errors.ts';
import { hasControlCharacter, parseArtifactPath } from '../../tracking/artifacts/artifact-layout.ts';

/** What a client may store as an artifact location (an experiment's, a model version's source). */
export interface StorageLocationPolicy {
  /** Absolute directories a `file:` location may point into: the server's own artifact root. */
  fileRoots: readonly string[];
}

/** The policy for a server whose artifacts live at `artifactsUri` (`file:///abs/dir` or `s3://…`). */
export function storagePolicyFor(artifactsUri: string): StorageLocationPolicy {
  return { fileRoots: artifactsUri.startsWith('file:') ? [fileURLToPath(artifactsUri)] : [] };
}

const BLOCKED = new BlockList();
BLOCKED.addSubnet('127.0.0.0', 8, 'ipv4'); // loopback
BLOCKED.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, cloud metadata services
BLOCKED.addSubnet('0.0.0.0', 8, 'ipv4'); // "this host"
BLOCKED.addAddress('::1', 'ipv6');
BLOCKED.addAddress('::', 'ipv6');
BLOCKED.addSubnet('fe80::', 10, 'ipv6');
BLOCKED.addSubnet('fd00:ec2::', 32, 'ipv6'); // AWS's IPv6 metadata service
const BLOCKED_NAMES = new Set(['localhost', 'metadata', 'metadata.google.internal', 'instance-data']);

/** Schemes whose URIs make a client (or a server acting on them) connect to the host they name. */
const HOST_SCHEMES = new Set(['http', 'https', 'ftp', 'sftp', 'hdfs', 'viewfs', 'mlflow-artifacts']);

/**
 * Refuses a storage location a client must not be able to plant, with INVALID_ARGUMENT naming
 * `field`: fragments and `;` params (as MLflow does), control characters, relative paths,
 * `file:` locations (or bare absolute paths) outside `policy.fileRoots`, `..` segments, and hosts
 * that are this machine or a link-local address (127.0.0.0/8, ::1, localhost, 169.254.0.0/16 —
 * where cloud metadata services answer — fe80::/10, 0.0.0.0) in http(s), ftp, sftp, hdfs and
 * `mlflow-artifacts://host` URIs. Other schemes (s3, gs, wasbs, runs, models, …) pass: the server
 * never reads them itself. Host names are not resolved (what they resolve to can change).
 */
export function validateStorageLocation(uri: string, field: string, policy: StorageLocationPolicy): void {
  const refuse = (why: string) =>
    errors.invalid(`Invalid value ${JSON.stringify(uri)} for parameter '${field}' supplied: ${why}`);
  if (hasControlCharacter(uri)) throw refuse('it contains a control character');
  if (uri.includes('#') || uri.includes(';'))
    throw errors.invalid(`'${field}' URL can't include fragments or params.`);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]+):/.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (!uri.startsWith('/')) throw refuse('use a URI such as s3://bucket/prefix, or an absolute path');
    checkFilePath(uri, policy, refuse);
    return;
  }
  if (scheme === 'file') {
    let path: string;
    try {
      path = fileURLToPath(uri);
    } catch {
      throw refuse('it is not a valid file URI (use file:///absolute/path)');
    }
    if (/(^|\/)\.\.?(\/|$)/.test(new URL(uri).pathname)) throw refuse('it contains a ".." segment');
    checkFilePath(path, policy, refuse);
    return;
  }
  const rest = uri.slice(scheme.length + 1);
  if (rest.split('/').some((s) => s === '..' || /^(%2e|\.){2}$/i.test(s)))
    throw refuse('it contains a ".." segment');
  if (HOST_SCHEMES.has(scheme) && rest.startsWith('//')) {
    const host = hostOf(uri, scheme);
    if (host === undefined) throw refuse('its host cannot be read');
    if (isBlockedHost(host))
      throw refuse(`'${host}' is this machine or a link-local address, which clients must not be sent to`);
  }
}

function checkFilePath(path: string, policy: StorageLocationPolicy, refuse: (why: string) => Error): void {
  if (path.split('/').includes('..')) throw refuse('it contains a ".." segment');
  const normal = posix.normalize(path);
  const inside = policy.fileRoots.some((root) => {
    const r = posix.normalize(root).replace(/\/+$/, '');
    return normal === r || normal.startsWith(`${r}/`);
  });
  if (!inside)
    throw refuse(
      policy.fileRoots.length > 0
        ? `local paths must be inside the server's artifact root ${policy.fileRoots.join(', ')}`
        : "this server's artifacts are not on a local disk, so local paths are not allowed",
    );
}

/** The host a URI connects to, normalised the way an HTTP client would (`2130706433` → 127.0.0.1). */
function hostOf(uri: string, scheme: string): string | undefined {
  try {
    const special = scheme === 'http' || scheme === 'https' || scheme === 'ftp';
    const authority = new URL(uri).host;
    const url = special ? new URL(uri) : new URL(`http://${authority}/`);
    return url.hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** True for loopback, link-local, unspecified and metadata-service hosts. */
export function isBlockedHost(hostname: string): boolean {
  let h = hostname.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (h === '' || BLOCKED_NAMES.has(h) || h.endsWith('.localhost')) return true;
  // IPv4-mapped IPv6, dotted or as the URL parser writes it (::ffff:7f00:1).
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h)?.[1];
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(h);
  if (dotted) h = dotted;
  else if (hex) {
    const [hi, lo] = [Number.parseInt(hex[1] as string, 16), Number.parseInt(hex[2] as string, 16)];
    h = [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  }
  const family = isIP(h);
  if (family === 0) return false;
  return BLOCKED.check(h, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The artifact location to store for a new experiment. A relative location (`my_location`,
 * `team/churn`) is resolved against the server's artifact root, as MLflow resolves it against its
 * working directory: it becomes `mlflow-artifacts:/my_location`, which the artifact proxy maps to
 * `<artifact root>/my_location`. Refused with INVALID_ARGUMENT: a relative location that climbs
 * out of the root (`../x`), names the root itself, starts with a number (`7/x` is where experiment
 * 7 keeps its runs) or is not a safe artifact path. Any other location must pass
 * validateStorageLocation and is stored as it is.
 */
export function experimentArtifactLocation(
  location: string,
  field: string,
  policy: StorageLocationPolicy,
): string {
  if (/^[A-Za-z][A-Za-z0-9+.-]+:/.test(location) || location.startsWith('/')) {
    validateStorageLocation(location, field, policy);
    return location;
  }
  const refuse = (why: string) =>
    errors.invalid(`Invalid value ${JSON.stringify(location)} for parameter '${field}' supplied: ${why}`);
  if (hasControlCharacter(location)) throw refuse('it contains a control character');
  const normal = posix.normalize(location).replace(/\/+$/, '');
  if (normal === '..' || normal.startsWith('../'))
    throw refuse('a relative location must stay inside the artifact root');
  if (normal === '.' || normal === '')
    throw refuse('a relative location must name a directory below the artifact root');
  let segments: string[];
  try {
    segments = parseArtifactPath(normal);
  } catch (err) {
    throw refuse((err as Error).message.replace(/^Invalid path: "[^"]*": /, ''));
  }
  if (/^\d+$/.test(segments[0] as string))
    throw refuse(
      `"${segments[0]}/…" is where the server keeps experiment ${segments[0]}'s runs; start with a name`,
    );
  return `mlflow-artifacts:/${segments.join('/')}`;
}
