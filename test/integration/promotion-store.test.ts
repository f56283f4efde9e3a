import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HttpRegistryStore } from '../../src/registry/http/http-registry-store.ts';
import { HttpPromotionStore } from '../../src/registry/promotion/http/http-promotion-store.ts';
import { PROMOTION_MIGRATIONS } from '../../src/registry/promotion/sql/promotion-migrations.ts';
import { SqlPromotionStore } from '../../src/registry/promotion/sql/sql-promotion-store.ts';
import { REGISTRY_MIGRATIONS } from '../../src/registry/sql/registry-migrations.ts';
import { SqlRegistryStore } from '../../src/registry/sql/sql-registry-store.ts';
import { createServer } from '../../src/server/create-server.ts';
import { serverRouteModules } from '../../src/server/server-wiring.ts';
import type { MetadataStore } from '../../src/store/metadata-store.ts';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { CONTRACT_POLICY, describePromotionStore } from '../contracts/promotion-store.contract.ts';
import { freshDatabase } from '../support/pg-database.ts';
import { pgGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';
import { openVariant, startTestServer, type TestServer, type Variant, variants } from './server-harness.ts';

function onMetadata(uri: () => Promise<string>) {
  let metadata: MetadataStore | undefined;
  return {
    open: async () => {
      metadata = await openMetadataStore(await uri(), [...REGISTRY_MIGRATIONS, ...PROMOTION_MIGRATIONS]);
      return {
        registry: new SqlRegistryStore(metadata),
        promotion: new SqlPromotionStore(metadata, CONTRACT_POLICY),
      };
    },
    close: async () => {
      await metadata?.close();
    },
  };
}

describePromotionStore(
  'sql on sqlite',
  onMetadata(async () => `sqlite://${join(await tempDir(), 'promotion.db')}`),
);

const pg = pgGate();
describePromotionStore(
  'sql on postgres',
  onMetadata(() => freshDatabase(pg.value ?? '', 'cairn_promotion')),
  { skip: pg.skip },
);

let server: TestServer | undefined;
describePromotionStore('http against cairn server', {
  open: async () => {
    server = await startTestServer(variants()[0] as Variant, { gatePolicy: CONTRACT_POLICY });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    const uri = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
    return { registry: new HttpRegistryStore({ uri }), promotion: new HttpPromotionStore({ uri }) };
  },
  close: async () => {
    await server?.close();
  },
});

describe('promotion through a server with authentication', () => {
  let close: (() => Promise<void>) | undefined;
  after(async () => {
    await close?.();
  });

  it('records the authenticated caller, and lets only an admin force a gate', async () => {
    const opened = await openVariant(variants()[0] as Variant, { gatePolicy: CONTRACT_POLICY });
    const store = opened.backends.auth;
    const app = createServer(opened.backends.deps, { auth: { store } }, serverRouteModules(store));
    close = async () => {
      await app.close();
      await opened.close();
    };
    await app.listen({ port: 0, host: '127.0.0.1' });
    const uri = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const editor = (await store.createToken({ role: 'editor', name: 'ci-bot' })).token;
    const admin = (await store.createToken({ role: 'admin', name: 'release-manager' })).token;
    const registry = new HttpRegistryStore({ uri, token: editor });
    await registry.createRegisteredModel('solo');
    await registry.createModelVersion({ name: 'solo', source: 's3://b/solo/1' });
    const asEditor = new HttpPromotionStore({ uri, token: editor });
    const failed = { kind: 'gate' as const, gate: 'g1', passed: false, result: {} };
    const check = await asEditor.recordCheck('solo', '1', failed, 'claimed-name');
    assert.equal(check.created_by, 'token:ci-bot', 'the token, not the name the client claims');
    const move = { name: 'solo', alias: 'champion', version: '1', force: true, reason: 'hotfix', actor: 'x' };
    await assert.rejects(asEditor.moveAlias(move), {
      code: 'PERMISSION_DENIED',
      message: /forcing a promotion past its gates needs admin/,
    });
    const event = await new HttpPromotionStore({ uri, token: admin }).moveAlias(move);
    assert.deepEqual([event.forced, event.actor], [true, 'token:release-manager']);
  });
});
