import { assertBlobKey } from '../../blobs/blob-key.ts';
import { errors } from '../../kernel/errors.ts';

/**
 * The layout of run artifacts: artifact paths as clients send them (`dir/model.pkl`, relative to
 * the artifact root or a run's artifact directory) and the blob keys (the files, on disk) they are
 * stored under. Every writer and reader of artifacts goes through here — the server's artifact
 * proxy and listings, `cairn run` attaching its logs, the SDK's `logArtifact` into a local
 * directory — so a file written by one is found by the others under the same name.
 *
 * A path arrives URL-decoded once (by the router or the query-string parser). Anything that
 * could name a place outside the root, or mean different things to different layers, is refused
 * with INVALID_ARGUMENT before any storage is touched: `..` and `.` segments, absolute paths,
 * drive letters, backslashes, NUL and other control characters, `%` (what is left of a double
 * encoding such as `%252e`), `#`, `?` and `;`, and empty segments.
 */
export function parseArtifactPath(raw: unknown, options: { allowEmpty?: boolean } = {}): string[] {
  if (typeof raw !== 'string') throw invalidPath(String(raw), 'it is not a string');
  if (raw === '' || raw === '/') {
    if (options.allowEmpty && raw === '') return [];
    throw invalidPath(raw, 'it is empty');
  }
  if (raw.length > 1024) throw invalidPath(`${raw.slice(0, 40)}…`, 'it is longer than 1,024 characters');
  if (hasControlCharacter(raw)) throw invalidPath(raw, 'it contains a control character');
  for (const [char, why] of [
    ['\\', 'a backslash'],
    ['%', 'a "%" (percent-encode a path once, not twice)'],
    ['#', 'a "#"'],
    ['?', 'a "?"'],
    [';', 'a ";"'],
  ] as const)
    if (raw.includes(char)) throw invalidPath(raw, `it contains ${why}`);
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw))
    throw invalidPath(raw, 'it must be relative to the artifact root');
  const segments = raw.replace(/\/+$/, '').split('/');
  for (const s of segments) {
    if (s === '') throw invalidPath(raw, 'it contains an empty segment ("//")');
    if (s === '.' || s === '..') throw invalidPath(raw, `it contains a "${s}" segment`);
  }
  return segments;
}

/** True when `text` holds NUL or another C0 control character, or DEL. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function invalidPath(path: string, why: string) {
  return errors.invalid(`Invalid path: ${JSON.stringify(path)}: ${why}`, {
    hint: 'artifact paths are relative, "/"-separated, without "..", "%", "#", "?", ";" or "\\"',
  });
}

/** Segments that are stored as they are; anything else is hex-encoded behind ESCAPE. */
const PLAIN_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const ESCAPE = '-x-';

/**
 * The blob key segment for a path segment. Names made of letters, digits, `.`, `_` and `-` (not
 * starting with `.`) are kept, so the files of a directory store look like the artifacts;
 * others (spaces, Unicode, a leading dot) become `-x-<utf-8 hex>`, which BlobStore keys allow
 * and which reads back exactly.
 */
export function keySegment(segment: string): string {
  return PLAIN_SEGMENT.test(segment) && !segment.startsWith(ESCAPE)
    ? segment
    : `${ESCAPE}${Buffer.from(segment, 'utf8').toString('hex')}`;
}

/** The path segment a blob key segment stands for (the inverse of keySegment). */
export function pathSegment(keyPart: string): string {
  if (keyPart.startsWith(ESCAPE)) {
    const hex = keyPart.slice(ESCAPE.length);
    if (/^(?:[0-9a-f]{2})+$/.test(hex)) return Buffer.from(hex, 'hex').toString('utf8');
  }
  return keyPart;
}

/** The blob key of an artifact path given as segments (checked by parseArtifactPath). */
export function artifactKey(segments: readonly string[]): string {
  const key = segments.map(keySegment).join('/');
  assertBlobKey(key);
  return key;
}

/** The key prefix under which everything below `segments` is stored (`''` for the root). */
export function artifactPrefix(segments: readonly string[]): string {
  return segments.length === 0 ? '' : `${artifactKey(segments)}/`;
}
