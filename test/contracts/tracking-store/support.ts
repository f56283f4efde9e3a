import assert from 'node:assert/strict';
import type { TrackingStore } from '../../../src/tracking/tracking-store.ts';
import type { Run } from '../../../src/tracking/tracking-types.ts';

export interface TrackingContext {
  readonly store: TrackingStore;
  /** A name no other case (or earlier run of the suite on the same database) uses. */
  name(label: string): string;
}

/** Asserts that `promise` rejects with a CairnError of `code` whose message matches `message`. */
export async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    const e = err as { code?: string; message?: string };
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    if (message) assert.match(e.message ?? '', message);
    return true;
  });
}

export function tagsOf(run: Run): Record<string, string> {
  return Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]));
}

export function paramsOf(run: Run): Record<string, string> {
  return Object.fromEntries(run.data.params.map((p) => [p.key, p.value]));
}

export function metricsOf(run: Run): Record<string, number> {
  return Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]));
}

/** Every item of a paginated listing, following next_page_token. */
export async function allPages<T>(
  fetch: (pageToken: string | undefined) => Promise<{ items: T[]; next_page_token?: string }>,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await fetch(token);
    items.push(...page.items);
    token = page.next_page_token;
    pages++;
    assert.ok(pages < 1000, 'pagination does not end');
  } while (token);
  return { items, pages };
}

/** `length` printable characters that do not compress (a database may compress repeated text). */
export function incompressible(length: number, seed = 1): string {
  let state = seed;
  let out = '';
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out += String.fromCharCode(33 + ((state >>> 16) % 94));
  }
  return out;
}
