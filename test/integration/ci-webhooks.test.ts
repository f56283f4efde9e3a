import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AddressPolicy } from '../../src/ci/webhooks/address-policy.ts';
import { SqlWebhookStore } from '../../src/ci/webhooks/sql/sql-webhook-store.ts';
import { WEBHOOK_MIGRATIONS } from '../../src/ci/webhooks/sql/webhook-migrations.ts';
import { WebhookService } from '../../src/ci/webhooks/webhook-service.ts';
import { verifyDelivery } from '../../src/ci/webhooks/webhook-signature.ts';
import { isCairnError } from '../../src/kernel/errors.ts';
import { silentLogger } from '../../src/kernel/logging.ts';
import { withRegistryEvents } from '../../src/registry/events/evented-registry-store.ts';
import { type RegistryEvent, RegistryEvents } from '../../src/registry/events/registry-events.ts';
import { REGISTRY_MIGRATIONS } from '../../src/registry/sql/registry-migrations.ts';
import { SqlRegistryStore } from '../../src/registry/sql/sql-registry-store.ts';
import type { MetadataStore } from '../../src/store/metadata-store.ts';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { freshDatabase } from '../support/pg-database.ts';
import { pgGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';

interface Hit {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A receiver on 127.0.0.1 whose answer to each request a test decides. */
class Receiver {
  readonly hits: Hit[] = [];
  answer: (n: number, res: ServerResponse) => void = (_n, res) => res.writeHead(200).end('ok');
  #server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.hits.push({ headers: req.headers, body });
        this.answer(this.hits.length, res);
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hook`;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise((resolve) => this.#server?.close(resolve));
  }
}

const LOOPBACK = new AddressPolicy(['127.0.0.0/8']);

function describeOn(name: string, uri: () => Promise<string>, options: { skip: string | false }) {
  describe(`webhooks on ${name}`, options, () => {
    let db: MetadataStore;
    let store: SqlWebhookStore;
    const receiver = new Receiver();
    before(async () => {
      db = await openMetadataStore(await uri(), [...REGISTRY_MIGRATIONS, ...WEBHOOK_MIGRATIONS]);
      store = new SqlWebhookStore(db);
      await receiver.start();
    });
    after(async () => {
      await receiver.stop();
      await db?.close();
    });

    it('keeps webhooks: events in order, pages, updates, soft deletes, and no secret leaks into a listing order', async () => {
      const a = await store.create({
        name: 'a',
        url: 'https://example.com/a',
        events: ['model_version_alias.created', 'registered_model.created'],
        secret: 's',
      });
      const b = await store.create({
        name: 'b',
        url: 'https://example.com/b',
        events: ['model_version.created'],
      });
      assert.deepEqual((await store.get(a.webhook_id)).events, [
        'model_version_alias.created',
        'registered_model.created',
      ]);
      const first = await store.list({ maxResults: 1 });
      assert.equal(first.items.length, 1);
      assert.ok(first.next_page_token);
      const second = await store.list({ maxResults: 1, pageToken: first.next_page_token as string });
      assert.deepEqual(new Set([first.items[0]?.name, second.items[0]?.name]), new Set(['a', 'b']));
      const updated = await store.update(a.webhook_id, {
        events: ['gate_result.created'],
        status: 'DISABLED',
      });
      assert.deepEqual(
        [updated.events, updated.status, updated.secret],
        [['gate_result.created'], 'DISABLED', 's'],
      );
      assert.deepEqual(await store.subscribers('gate_result.created'), []);
      await store.delete(b.webhook_id);
      await assert.rejects(store.get(b.webhook_id), (e) => isCairnError(e) && e.code === 'NOT_FOUND');
      await assert.rejects(store.list({ maxResults: 1001 }), /between 1 and 1000/);
      await assert.rejects(
        store.create({ name: 'x', url: 'https://example.com', events: ['nope.created' as never] }),
        /not supported/,
      );
      await store.delete(a.webhook_id);
    });

    it('delivers a registry event in the background, signed, retrying 503s with backoff under one delivery id', async () => {
      const events = new RegistryEvents(silentLogger);
      const service = new WebhookService(
        store,
        { policy: LOOPBACK, allowHttp: true, backoffMs: 20 },
        silentLogger,
      );
      service.attach(events);
      const registry = withRegistryEvents(new SqlRegistryStore(db), events);
      const hook = await service.create({
        name: 'retry',
        url: receiver.url,
        events: ['model_version_alias.created'],
        secret: 'k',
      });
      receiver.hits.length = 0;
      let release: () => void = () => undefined;
      const held = new Promise<void>((r) => {
        release = r;
      });
      receiver.answer = (n, res) => {
        if (n < 3) res.writeHead(503).end('busy');
        else void held.then(() => res.writeHead(204).end());
      };
      await registry.createRegisteredModel('m');
      await registry.createModelVersion({
        name: 'm',
        source: 'runs:/0123456789abcdef0123456789abcdef/model',
      });
      // The alias move returns while the receiver still holds the third attempt.
      await registry.setRegisteredModelAlias('m', 'champion', '1');
      while (receiver.hits.length < 3) await new Promise((r) => setTimeout(r, 10));
      const pending = await service.deliveries(hook.webhook_id);
      assert.deepEqual([pending[0]?.state, pending[0]?.attempts], ['pending', 2]);
      release();
      await service.drain();

      const [delivery] = await service.deliveries(hook.webhook_id);
      assert.deepEqual(
        [delivery?.state, delivery?.attempts, delivery?.response_status, delivery?.event],
        ['succeeded', 3, 204, 'model_version_alias.created'],
      );
      const ids = new Set(receiver.hits.map((h) => h.headers['x-mlflow-delivery-id']));
      assert.deepEqual([...ids], [delivery?.delivery_id]);
      for (const h of receiver.hits) {
        const ok = verifyDelivery(
          'k',
          h.headers['x-mlflow-delivery-id'] as string,
          h.headers['x-mlflow-timestamp'] as string,
          h.body,
          h.headers['x-mlflow-signature'] as string,
        );
        assert.equal(ok, true);
      }
      assert.deepEqual(JSON.parse(receiver.hits[0]?.body as string).data, {
        name: 'm',
        alias: 'champion',
        version: '1',
      });
      await service.close();
      await service.delete(hook.webhook_id);
    });

    it('records a receiver that times out as failed after its attempts, and does not retry a 4xx', async () => {
      const service = new WebhookService(
        store,
        { policy: LOOPBACK, allowHttp: true, timeoutMs: 150, attempts: 2, backoffMs: 10 },
        silentLogger,
      );
      const slow = await service.create({
        name: 'slow',
        url: receiver.url,
        events: ['model_version_tag.set'],
      });
      receiver.hits.length = 0;
      receiver.answer = () => undefined; // never answers
      service.dispatch({ type: 'model_version_tag.set', name: 'm', version: '1', key: 'k', value: 'v' });
      await service.drain();
      const [timedOut] = await service.deliveries(slow.webhook_id);
      assert.equal(timedOut?.state, 'failed');
      assert.equal(timedOut?.attempts, 2);
      assert.match(timedOut?.error ?? '', /timed out/);
      const test = await service.test(slow.webhook_id);
      assert.equal(test.success, false);
      assert.match(test.error_message ?? '', /Failed to test webhook: no answer within 0.15 s/);

      receiver.answer = (_n, res) => res.writeHead(410).end('gone');
      receiver.hits.length = 0;
      service.dispatch({ type: 'model_version_tag.set', name: 'm', version: '1', key: 'k', value: 'v' });
      await service.drain();
      const [gone] = await service.deliveries(slow.webhook_id);
      assert.deepEqual([gone?.state, gone?.attempts, gone?.response_status], ['failed', 1, 410]);
      assert.equal(receiver.hits.length, 1);
      await service.close();
      await service.delete(slow.webhook_id);
      receiver.answer = (_n, res) => res.writeHead(200).end('ok');
    });

    it('refuses private, loopback and link-local URLs unless the network is allowed, when saved and when sent', async () => {
      const strict = new WebhookService(
        store,
        { policy: new AddressPolicy(), allowHttp: true },
        silentLogger,
      );
      for (const url of [
        receiver.url,
        'http://localhost:9/x',
        'http://169.254.169.254/latest/meta-data',
        'http://10.1.2.3/x',
        'http://[::1]/x',
        'http://[::ffff:127.0.0.1]/x',
      ])
        await assert.rejects(
          strict.create({ name: 'ssrf', url, events: ['model_version.created'] }),
          (e) => isCairnError(e) && e.code === 'INVALID_ARGUMENT' && /not a public address/.test(e.message),
          url,
        );
      await assert.rejects(
        new WebhookService(store, { policy: LOOPBACK }, silentLogger).create({
          name: 'plain',
          url: receiver.url,
          events: ['model_version.created'],
        }),
        /Allowed schemes are: https/,
      );
      // Saved while the network was allowed, sent by a server that no longer allows it: refused at
      // connect time, once, and nothing reaches the receiver.
      const hook = await new WebhookService(
        store,
        { policy: LOOPBACK, allowHttp: true },
        silentLogger,
      ).create({
        name: 'rebound',
        url: receiver.url,
        events: ['model_version.created'],
      });
      receiver.hits.length = 0;
      strict.dispatch({
        type: 'model_version.created',
        name: 'm',
        version: '2',
        source: 's',
        run_id: null,
        tags: {},
        description: null,
      });
      await strict.drain();
      const [refused] = await strict.deliveries(hook.webhook_id);
      assert.deepEqual([refused?.state, refused?.attempts], ['failed', 1]);
      assert.match(refused?.error ?? '', /127\.0\.0\.1.*not a public address/);
      assert.equal(receiver.hits.length, 0);
      await strict.close();
      await store.delete(hook.webhook_id);
    });
  });
}

describeOn('sqlite', async () => `sqlite://${join(await tempDir(), 'webhooks.db')}`, { skip: false });
const gate = pgGate();
describeOn('postgres', () => freshDatabase(gate.value ?? '', 'cairn_webhooks'), { skip: gate.skip });

describe('webhooks for promotion: alias moves and recorded gate results', () => {
  it('delivers gate_result.created and model_version_alias.created with the version it left', async () => {
    const { PROMOTION_MIGRATIONS } = await import('../../src/registry/promotion/sql/promotion-migrations.ts');
    const { SqlPromotionStore } = await import('../../src/registry/promotion/sql/sql-promotion-store.ts');
    const { withPromotionEvents } = await import('../../src/registry/events/evented-promotion-store.ts');
    const db = await openMetadataStore(`sqlite://${join(await tempDir(), 'p.db')}`, [
      ...REGISTRY_MIGRATIONS,
      ...PROMOTION_MIGRATIONS,
      ...WEBHOOK_MIGRATIONS,
    ]);
    const receiver = new Receiver();
    await receiver.start();
    try {
      const events = new RegistryEvents(silentLogger);
      const seen: RegistryEvent[] = [];
      events.subscribe((e) => {
        seen.push(e);
      });
      const service = new WebhookService(
        new SqlWebhookStore(db),
        { policy: LOOPBACK, allowHttp: true },
        silentLogger,
      );
      service.attach(events);
      await service.create({
        name: 'promotion',
        url: receiver.url,
        events: ['gate_result.created', 'model_version_alias.created'],
      });
      const registry = new SqlRegistryStore(db);
      await registry.createRegisteredModel('m');
      for (let i = 0; i < 2; i++)
        await registry.createModelVersion({
          name: 'm',
          source: 'runs:/0123456789abcdef0123456789abcdef/model',
        });
      const promotion = withPromotionEvents(new SqlPromotionStore(db), events);
      const check = await promotion.recordCheck(
        'm',
        '2',
        { kind: 'gate', gate: 'g', passed: true, result: {} },
        'ci',
      );
      await promotion.moveAlias({ name: 'm', alias: 'champion', version: '1', actor: 'ci' });
      await promotion.moveAlias({ name: 'm', alias: 'champion', version: '2', actor: 'ci' });
      while (receiver.hits.length < 3) await new Promise((r) => setTimeout(r, 10));
      await service.drain();
      const bodies = receiver.hits.map(
        (h) => JSON.parse(h.body) as { entity: string; action: string; data: unknown },
      );
      assert.deepEqual(
        bodies
          .map((b) => [b.entity, b.action, b.data])
          .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
        [
          [
            'gate_result',
            'created',
            { name: 'm', version: '2', gate: 'g', passed: true, check_id: check.id },
          ],
          ['model_version_alias', 'created', { name: 'm', alias: 'champion', version: '1' }],
          ['model_version_alias', 'created', { name: 'm', alias: 'champion', version: '2' }],
        ],
      );
      // In the process, a subscriber (a deploy controller) also learns which version the alias left.
      assert.deepEqual(
        seen.map((e) => e.type),
        ['gate_result.created', 'model_version_alias.created', 'model_version_alias.created'],
      );
      assert.deepEqual(seen[2], {
        type: 'model_version_alias.created',
        name: 'm',
        alias: 'champion',
        version: '2',
        previous_version: '1',
      });
      await service.close();
    } finally {
      await receiver.stop();
      await db.close();
    }
  });
});
