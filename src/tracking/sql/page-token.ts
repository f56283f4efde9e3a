import { errors } from '../../kernel/errors.ts';

/**
 * Page tokens as MLflow's SQL store makes them: base64 of `{"offset": n}`. Clients treat them as
 * opaque; the shape is kept so a token from either server reads the same.
 */
export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

/** The offset a token names; 0 without a token. */
export function decodePageToken(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9+/=_-]+$/.test(token)) throw new Error('not base64');
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch (err) {
    throw errors.invalid(`Invalid page token ${JSON.stringify(token)}: it could not be decoded`, {
      cause: err,
      hint: 'pass back the next_page_token of the previous page unchanged',
    });
  }
  const offset = Number((parsed as { offset?: unknown } | null)?.offset);
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw errors.invalid(`Invalid page token ${JSON.stringify(token)}: it names no offset`, {
      hint: 'pass back the next_page_token of the previous page unchanged',
    });
  return offset;
}

/** The page of `rows` (fetched with one extra row to detect a next page) and its next token. */
export function pageOf<T>(
  rows: T[],
  offset: number,
  maxResults: number,
): { items: T[]; next_page_token?: string } {
  if (rows.length <= maxResults) return { items: rows };
  return { items: rows.slice(0, maxResults), next_page_token: encodePageToken(offset + maxResults) };
}
