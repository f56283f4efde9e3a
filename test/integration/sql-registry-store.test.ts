import { join } from 'node:path';
import { REGISTRY_MIGRATIONS } from '../../src/registry/sql/registry-migrations.ts';
import { SqlRegistryStore } from '../../src/registry/sql/sql-registry-store.ts';
import type { MetadataStore } from '../../src/store/metadata-store.ts';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { describeRegistryStore } from '../contracts/registry-store.contract.ts';
import { freshDatabase } from '../support/pg-database.ts';
import { pgGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';

/** The registry contract on each metadata backend: a SQLite file always, PostgreSQL when configured. */
function onMetadata(uri: () => Promise<string>) {
  let metadata: MetadataStore | undefined;
  return {
    open: async () => {
      metadata = await openMetadataStore(await uri(), REGISTRY_MIGRATIONS);
      return new SqlRegistryStore(metadata);
    },
    close: async () => {
      await metadata?.close();
    },
  };
}

describeRegistryStore(
  'sql on sqlite',
  onMetadata(async () => `sqlite://${join(await tempDir(), 'registry.db')}`),
);

const gate = pgGate();
describeRegistryStore(
  'sql on postgres',
  onMetadata(() => freshDatabase(gate.value ?? '', 'cairn_registry')),
  { skip: gate.skip },
);
