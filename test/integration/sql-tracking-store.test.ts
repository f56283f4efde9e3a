import { join } from 'node:path';
import type { MetadataStore } from '../../src/store/metadata-store.ts';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { SqlTrackingStore } from '../../src/tracking/sql/sql-tracking-store.ts';
import { describeTrackingStore } from '../contracts/tracking-store.contract.ts';
import { freshDatabase } from '../support/pg-database.ts';
import { pgGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';

/** Opens a tracking store on `uri` and remembers the metadata store to close it. */
function factory(uri: () => string) {
  let metadata: MetadataStore | undefined;
  return {
    async open() {
      metadata = await openMetadataStore(uri());
      return new SqlTrackingStore(metadata, { defaultArtifactRoot: 'file:///srv/artifacts/' });
    },
    async close() {
      await metadata?.close();
    },
  };
}

const dir = await tempDir();
describeTrackingStore(
  'sqlite',
  factory(() => `sqlite://${join(dir, 'tracking.db')}`),
);

const gate = pgGate();
const pgUrl = gate.value ? await freshDatabase(gate.value, 'cairn_tracking') : '';
describeTrackingStore(
  'postgres',
  factory(() => pgUrl),
  { skip: gate.skip },
);
