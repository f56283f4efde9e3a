import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after } from 'node:test';
import pg from 'pg';
import { REGISTRY_MIGRATIONS } from '../../src/registry/sql/registry-migrations.ts';
import { SqlRegistryStore } from '../../src/registry/sql/sql-registry-store.ts';
import type { MetadataStore } from '../../src/store/metadata-store.ts';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { describeRegistryStore } from '../contracts/registry-store.contract.ts';
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
let database: string | undefined;

/** A database of its own for each run, dropped at the end. */
async function freshDatabase(adminUrl: string): Promise<string> {
  database = `cairn_registry_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

after(async () => {
  if (!gate.value || !database) return;
  const admin = new pg.Client({ connectionString: gate.value });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
});

describeRegistryStore(
  'sql on postgres',
  onMetadata(() => freshDatabase(gate.value ?? '')),
  { skip: gate.skip },
);
