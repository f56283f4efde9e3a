import { randomBytes } from 'node:crypto';
import pg from 'pg';

const created: { admin: string; name: string }[] = [];
// Dropped when the test process is about to exit. node:test's root `after` is not used: with
// top-level await in a test file it can run before later suites have even been declared.
// The list is emptied as the drop starts, so the next beforeExit (after it) does nothing.
process.on('beforeExit', () => {
  if (created.length > 0) void dropCreatedDatabases();
});

/**
 * A new, empty database on the PostgreSQL test server behind `adminUrl`, dropped when the test
 * file finishes. Returns its connection URL.
 */
export async function freshDatabase(adminUrl: string, prefix = 'cairn_test'): Promise<string> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  created.push({ admin: adminUrl, name });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropCreatedDatabases(): Promise<void> {
  for (const { admin: adminUrl, name } of created.splice(0)) {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
}
