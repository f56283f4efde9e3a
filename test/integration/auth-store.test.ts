import { join } from 'node:path';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { describeAuthStore } from '../contracts/auth-store.contract.ts';
import { freshDatabase } from '../support/pg-database.ts';
import { pgGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';

const gate = pgGate();

describeAuthStore('sqlite file', async () =>
  openMetadataStore(`sqlite://${join(await tempDir('cairn-auth-'), 'cairn.db')}`),
);
describeAuthStore(
  'postgres',
  async () => openMetadataStore(await freshDatabase(gate.value ?? '', 'cairn_auth')),
  {
    skip: gate.skip,
  },
);
