import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after } from 'node:test';
import pg from 'pg';
import type { MetadataStore } from '../../src/store/metadata-store.ts';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { SqlTrackingStore } from '../../src/tracking/sql/sql-tracking-store.ts';
import { describeTrackingStore } from '../contracts/tracking-store.contract.ts';
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
let pgUrl = '';
let database = '';
if (gate.value) {
  database = `cairn_tracking_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: gate.value });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  const url = new URL(gate.value);
  url.pathname = `/${database}`;
  pgUrl = url.toString();
  after(async () => {
    const admin = new pg.Client({ connectionString: gate.value });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  });
}
describeTrackingStore(
  'postgres',
  factory(() => pgUrl),
  { skip: gate.skip },
);
