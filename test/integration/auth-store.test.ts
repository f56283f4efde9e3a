import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after } from 'node:test';
import pg from 'pg';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { describeAuthStore } from '../contracts/auth-store.contract.ts';
import { pgGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';

const gate = pgGate();
const created: string[] = [];

/** A fresh database on the test server, dropped when the file's tests end. */
async function freshPgDatabase(adminUrl: string): Promise<string> {
  const name = `cairn_auth_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  created.push(name);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

after(async () => {
  if (!gate.value || created.length === 0) return;
  const admin = new pg.Client({ connectionString: gate.value });
  await admin.connect();
  try {
    for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
});

describeAuthStore('sqlite file', async () =>
  openMetadataStore(`sqlite://${join(await tempDir('cairn-auth-'), 'cairn.db')}`),
);
describeAuthStore('postgres', async () => openMetadataStore(await freshPgDatabase(gate.value ?? '')), {
  skip: gate.skip,
});
