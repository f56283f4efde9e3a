import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { AddressPolicy } from './address-policy.ts';

export interface PostOutcome {
  /** The receiver's status, when it answered. */
  status?: number;
  /** The first bytes of its answer (at most 4 KiB), as text. */
  body?: string;
  /** `Retry-After` in milliseconds, when given as seconds. */
  retryAfterMs?: number;
  /** Why no answer came (timeout, refused address, connection error). */
  error?: string;
  /** The address policy refused the host: trying again cannot help. */
  refused?: boolean;
}

const MAX_BODY = 4096;

/**
 * POSTs `body` to `url` through `policy`'s lookup (every resolved address checked, the checked
 * one connected to), without proxies or redirects, within `timeoutMs`. Never throws.
 */
export function postJson(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: { policy: AddressPolicy; timeoutMs: number; signal?: AbortSignal },
): Promise<PostOutcome> {
  // Node connects to an IP literal without calling `lookup`: check it here.
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0)
    return options.policy.check(host).then(
      () => send(url, body, headers, options),
      (err: Error) => ({ error: err.message, refused: true }),
    );
  return send(url, body, headers, options);
}

function send(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: { policy: AddressPolicy; timeoutMs: number; signal?: AbortSignal },
): Promise<PostOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(url, {
      method: 'POST',
      headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
      lookup: options.policy.lookup as never,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const timer = setTimeout(() => {
      req.destroy();
      done({ error: `no answer within ${options.timeoutMs / 1000} s (timed out)` });
    }, options.timeoutMs);
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_BODY) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => {
        const retryAfter = Number(res.headers['retry-after']);
        done({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).subarray(0, MAX_BODY).toString('utf8'),
          ...(Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
        });
      });
      res.on('error', (err) => done({ status: res.statusCode ?? 0, error: err.message }));
    });
    req.on('error', (err: NodeJS.ErrnoException & { code?: string }) => {
      const refused = (err as { code?: unknown }).code === 'INVALID_ARGUMENT';
      done({ error: refused ? err.message : `${err.code ?? 'error'}: ${err.message}`, refused });
    });
    req.end(body);
  });
}
