import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { HttpRegistryStore } from '../../src/registry/http/http-registry-store.ts';
import { HttpPromotionStore } from '../../src/registry/promotion/http/http-promotion-store.ts';
import { PROMOTION_MIGRATIONS } from '../../src/registry/promotion/sql/promotion-migrations.ts';
import { SqlPromotionStore } from '../../src/registry/promotion/sql/sql-promotion-store.ts';
import { REGISTRY_MIGRATIONS } from '../../src/registry/sql/registry-migrations.ts';
import { SqlRegistryStore } from '../../src/registry/sql/sql-registry-store.ts';
import type { MetadataStore } from '../../src/store/metadata-store.ts';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { CONTRACT_POLICY, describePromotionStore } from '../contracts/promotion-store.contract.ts';
import { freshDatabase } from '../support/pg-database.ts';
import { pgGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';
import { startTestServer, type TestServer, type Variant, variants } from './server-harness.ts';

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
