import { errors } from '../kernel/errors.ts';

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/**
 * Checks that `key` is a safe relative object key: `/`-separated segments of letters, digits,
 * `.`, `_` and `-`, none of them `.` or `..`. Anything else (absolute paths, backslashes,
 * NUL, percent-encoding) is refused, so a key can never name something outside its store.
 */
export function assertBlobKey(key: string): void {
  const ok =
    key.length > 0 &&
    key.length <= 1024 &&
    key.split('/').every((s) => s !== '.' && s !== '..' && SEGMENT.test(s));
  if (!ok)
    throw errors.invalid(`invalid object key ${JSON.stringify(key)}`, {
      hint: 'keys are relative paths of letters, digits, ".", "_" and "-" without ".." segments',
    });
}

export function assertBlobPrefix(prefix: string): void {
  if (prefix === '') return;
  assertBlobKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}
