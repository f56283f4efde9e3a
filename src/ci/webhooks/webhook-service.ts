import { randomUUID } from 'node:crypto';
import { errors } from '../../kernel/errors.ts';
import type { Logger } from '../../kernel/logging.ts';
import type { RegistryEvent, RegistryEvents } from '../../registry/events/registry-events.ts';
import type { Page } from '../../tracking/tracking-types.ts';
import type { AddressPolicy } from './address-policy.ts';
import { postJson } from './http-post.ts';
import { deliveryBody, EXAMPLE_PAYLOADS, payloadData } from './webhook-payloads.ts';
import { DELIVERY_ID_HEADER, SIGNATURE_HEADER, signDelivery, TIMESTAMP_HEADER } from './webhook-signature.ts';
import type { WebhookStore } from './webhook-store.ts';
import {
  type NewWebhook,
  WEBHOOK_EVENTS,
  type Webhook,
  type WebhookDelivery,
  type WebhookEventName,
  type WebhookUpdate,
} from './webhook-types.ts';

export interface WebhookDeliveryConfig {
  /** Non-public addresses that may be reached (see AddressPolicy). */
  policy: AddressPolicy;
  /** Accept `http://` URLs besides `https://` (default false, as MLflow). */
  allowHttp?: boolean;
  /** How long one attempt may wait for an answer, in ms (default 10,000). */
  timeoutMs?: number;
  /** Attempts per delivery, the first included (default 4). */
  attempts?: number;
  /** Wait before the first retry, doubled before each next one, in ms (default 1,000). */
  backoffMs?: number;
  /** The longest wait between attempts, in ms (default 60,000). */
  maxBackoffMs?: number;
}

/** What `test` found: MLflow's WebhookTestResult. */
export interface WebhookTestResult {
  success: boolean;
  response_status?: number;
  response_body?: string;
  error_message?: string;
}

/**
 * Webhooks: saving them (with their URL checked against the address policy) and delivering the
 * registry's events to them. A delivery runs in the background: the change that caused it has
 * already been answered. Each is signed as MLflow signs (when the webhook has a secret), retried
 * with exponential backoff on timeouts, connection errors, 429 and 5xx, and recorded with the
 * outcome of its latest attempt.
 */
export class WebhookService {
  readonly store: WebhookStore;
  readonly #config: Required<Omit<WebhookDeliveryConfig, 'policy'>> & { policy: AddressPolicy };
  readonly #log: Logger;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #abort = new AbortController();

  constructor(store: WebhookStore, config: WebhookDeliveryConfig, log: Logger) {
    this.store = store;
    this.#config = {
      policy: config.policy,
      allowHttp: config.allowHttp ?? false,
      timeoutMs: config.timeoutMs ?? 10_000,
      attempts: Math.max(1, config.attempts ?? 4),
      backoffMs: config.backoffMs ?? 1000,
      maxBackoffMs: config.maxBackoffMs ?? 60_000,
    };
    this.#log = log;
  }

  /** Delivers every event published on `events` from now on; returns the unsubscribe function. */
  attach(events: RegistryEvents): () => void {
    return events.subscribe((event) => this.dispatch(event));
  }

  async create(webhook: NewWebhook): Promise<Webhook> {
    await this.#checkUrl(webhook.url);
    return this.store.create(webhook);
  }

  async update(webhookId: string, update: WebhookUpdate): Promise<Webhook> {
    if (update.url !== undefined) await this.#checkUrl(update.url);
    return this.store.update(webhookId, update);
  }

  get(webhookId: string): Promise<Webhook> {
    return this.store.get(webhookId);
  }

  list(options?: { maxResults?: number; pageToken?: string }): Promise<Page<Webhook>> {
    return this.store.list(options);
  }

  delete(webhookId: string): Promise<void> {
    return this.store.delete(webhookId);
  }

  deliveries(webhookId: string, options?: { maxResults?: number }): Promise<WebhookDelivery[]> {
    return this.store.deliveries(webhookId, options);
  }

  /** Sends an example of `event` (default: the webhook's first event) once, and says what happened. */
  async test(webhookId: string, event?: WebhookEventName): Promise<WebhookTestResult> {
    const webhook = await this.store.get(webhookId);
    const name = event ?? (webhook.events[0] as WebhookEventName);
    const { outcome } = await this.#attempt(webhook, name, EXAMPLE_PAYLOADS[name], randomUUID());
    if (outcome.status !== undefined)
      return {
        success: outcome.status < 400,
        response_status: outcome.status,
        ...(outcome.body ? { response_body: outcome.body } : {}),
      };
    return { success: false, error_message: `Failed to test webhook: ${outcome.error ?? 'no answer'}` };
  }

  /** Whether `event` is one a webhook can subscribe to. */
  supports(event: string): event is WebhookEventName {
    return (WEBHOOK_EVENTS as readonly string[]).includes(event);
  }

  /** Starts the deliveries of `event` and returns at once. */
  dispatch(event: RegistryEvent): void {
    if (this.#abort.signal.aborted || !this.supports(event.type)) return;
    const name = event.type as WebhookEventName;
    this.#track(
      this.store.subscribers(name).then((hooks) => {
        for (const hook of hooks) this.#track(this.#deliver(hook, name, payloadData(event)));
      }),
    );
  }

  /** Resolves when every delivery started so far has finished (retries included). */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Stops: no new deliveries; waiting retries are abandoned and recorded as failed. */
  async close(): Promise<void> {
    this.#abort.abort();
    await this.drain();
  }

  #track(work: Promise<void>): void {
    const p = work.catch((err: unknown) => this.#log.error({ err }, 'webhook delivery failed'));
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  async #deliver(webhook: Webhook, event: WebhookEventName, data: Record<string, unknown>): Promise<void> {
    const id = randomUUID();
    const created = Date.now();
    const body = JSON.stringify(deliveryBody(event, data));
    const record = (d: Partial<WebhookDelivery> & Pick<WebhookDelivery, 'state' | 'attempts'>) =>
      this.store.recordDelivery({
        delivery_id: id,
        webhook_id: webhook.webhook_id,
        event,
        created_at: created,
        updated_at: Date.now(),
        ...d,
      });
    await record({ state: 'pending', attempts: 0 });
    let wait = this.#config.backoffMs;
    for (let attempt = 1; ; attempt++) {
      const { outcome } = await this.#attempt(webhook, event, data, id, body);
      const ok = outcome.status !== undefined && outcome.status >= 200 && outcome.status < 300;
      const retryable =
        !outcome.refused && (outcome.status === undefined || outcome.status === 429 || outcome.status >= 500);
      const last = ok || !retryable || attempt >= this.#config.attempts || this.#abort.signal.aborted;
      const error = ok
        ? undefined
        : (outcome.error ?? `the receiver answered ${outcome.status}`) +
          (this.#abort.signal.aborted && retryable && attempt < this.#config.attempts
            ? ' (server stopped)'
            : '');
      await record({
        state: ok ? 'succeeded' : last ? 'failed' : 'pending',
        attempts: attempt,
        ...(outcome.status !== undefined ? { response_status: outcome.status } : {}),
        ...(error !== undefined ? { error } : {}),
      });
      if (last) {
        if (!ok) this.#log.warn({ webhook: webhook.webhook_id, event, error }, 'webhook delivery failed');
        return;
      }
      const delay = Math.min(Math.max(wait, outcome.retryAfterMs ?? 0), this.#config.maxBackoffMs);
      wait *= 2;
      if (!(await this.#sleep(delay))) {
        await record({
          state: 'failed',
          attempts: attempt,
          error: `${error} (server stopped before a retry)`,
        });
        return;
      }
    }
  }

  async #attempt(
    webhook: Webhook,
    event: WebhookEventName,
    data: Record<string, unknown>,
    deliveryId: string,
    body = JSON.stringify(deliveryBody(event, data)),
  ) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      [DELIVERY_ID_HEADER]: deliveryId,
      [TIMESTAMP_HEADER]: timestamp,
    };
    if (webhook.secret) headers[SIGNATURE_HEADER] = signDelivery(webhook.secret, deliveryId, timestamp, body);
    const outcome = await postJson(new URL(webhook.url), body, headers, {
      policy: this.#config.policy,
      timeoutMs: this.#config.timeoutMs,
    });
    return { outcome };
  }

  /** Waits `ms`; false when the service closed meanwhile. */
  #sleep(ms: number): Promise<boolean> {
    const signal = this.#abort.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async #checkUrl(url: string): Promise<void> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw errors.invalid(`Invalid webhook URL '${url}'.`, { hint: 'give an absolute https:// URL' });
    }
    const schemes = this.#config.allowHttp ? ['https:', 'http:'] : ['https:'];
    if (!schemes.includes(parsed.protocol))
      throw errors.invalid(
        `Invalid webhook URL scheme: '${parsed.protocol.replace(/:$/, '')}'. Allowed schemes are: ${schemes.map((s) => s.replace(/:$/, '')).join(', ')}.`,
        this.#config.allowHttp ? {} : { hint: 'use https://, or start the server with --webhook-allow-http' },
      );
    if (parsed.hostname === '') throw errors.invalid(`Webhook URL must include a hostname: '${url}'.`);
    await this.#config.policy.check(parsed.hostname);
  }
}
