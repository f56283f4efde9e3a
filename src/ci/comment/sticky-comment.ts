import { type PrComment, ProviderError, type PullRequestComments } from './pull-request-comments.ts';

/** The hidden line that marks Cairn's comment; `key` tells several reports on one request apart. */
export function commentMarker(key = 'report'): string {
  return `<!-- cairn:ci-${key} -->`;
}

export interface StickyOutcome {
  action: 'created' | 'updated' | 'unchanged';
  id: number;
  /** Duplicates (from an earlier race) that were deleted. */
  removed: number[];
}

export interface RetryOptions {
  /** Attempts per call on 5xx and no answer (default 3). */
  attempts?: number;
  /** Wait before the second attempt, doubled after (default 1,000 ms). */
  backoffMs?: number;
}

/**
 * Creates or updates THE comment of `key` on the request: the first comment that carries the
 * marker is edited, never a second one added. If two runs raced and both created one, the one
 * created later finds the other when it looks again, keeps the oldest and deletes the rest.
 */
export async function upsertStickyComment(
  comments: PullRequestComments,
  markdown: string,
  options: RetryOptions & { key?: string } = {},
): Promise<StickyOutcome> {
  const marker = commentMarker(options.key);
  const body = `${marker}\n${markdown}`;
  const retry = <T>(fn: () => Promise<T>) => withRetries(fn, options);
  const ours = (all: PrComment[]) => all.filter((c) => c.body.startsWith(marker)).sort((a, b) => a.id - b.id);

  const existing = ours(await retry(() => comments.list()));
  if (existing.length > 0) {
    const [keep, ...extra] = existing as [PrComment, ...PrComment[]];
    const action = keep.body === body ? 'unchanged' : 'updated';
    if (action === 'updated') await retry(() => comments.update(keep.id, body));
    for (const c of extra) await retry(() => comments.remove(c.id));
    return { action, id: keep.id, removed: extra.map((c) => c.id) };
  }
  const created = await retry(() => comments.create(body));
  const after = ours(await retry(() => comments.list()));
  const oldest = after[0];
  if (oldest && oldest.id !== created.id) {
    // Another run created its comment first: keep that one, carrying this report.
    await retry(() => comments.update(oldest.id, body));
    const extra = after.filter((c) => c.id !== oldest.id);
    for (const c of extra) await retry(() => comments.remove(c.id));
    return { action: 'updated', id: oldest.id, removed: extra.map((c) => c.id) };
  }
  return { action: 'created', id: created.id, removed: [] };
}

async function withRetries<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 3);
  let wait = options.backoffMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const transient = err instanceof ProviderError && (err.status === 0 || err.status >= 500);
      if (!transient || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, wait));
      wait *= 2;
    }
  }
}
