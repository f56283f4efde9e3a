/**
 * Removes the password from a URI so it can be shown in messages and logs:
 * `postgresql://cairn:secret@host/db` → `postgresql://cairn:***@host/db`.
 *
 * The user info ends at the *last* `@`, so a password holding an unencoded `@`, `/` or `?` is
 * still hidden (at worst more than the password is hidden). A `password=` query parameter is
 * hidden too, since libpq-style URIs accept one.
 */
export function redact(uri: string): string {
  let out = uri;
  const start = uri.indexOf('://');
  const at = uri.lastIndexOf('@');
  if (start >= 0 && at > start) {
    const colon = uri.indexOf(':', start + 3);
    if (colon >= 0 && colon < at) out = `${uri.slice(0, colon + 1)}***${uri.slice(at)}`;
  }
  return out.replace(/([?&](?:ssl)?password=)[^&#]*/gi, '$1***');
}
