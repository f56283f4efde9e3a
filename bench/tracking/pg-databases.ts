import pg from 'pg';

/**
 * Fresh PostgreSQL databases for one benchmark run, on the server of `adminUrl` (a role that may
 * create databases): each server under test gets its own, dropped again at the end.
 */
export class BenchDatabases {
  readonly #adminUrl: string;
  readonly #created: string[] = [];

  constructor(adminUrl: string) {
    this.#adminUrl = adminUrl;
  }

  async #admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.#adminUrl, connectionTimeoutMillis: 10_000 });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  async version(): Promise<string> {
    return this.#admin(async (c) => {
      const { rows } = await c.query<{ server_version: string }>('SHOW server_version');
      return `PostgreSQL ${rows[0]?.server_version.split(' ')[0] ?? '?'}`;
    });
  }

  /** Drops `name` if it is left over from an earlier run, creates it empty, and returns its URL. */
  async fresh(name: string): Promise<string> {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
    await this.#admin(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.query(`CREATE DATABASE ${name}`);
    });
    this.#created.push(name);
    const url = new URL(this.#adminUrl);
    url.pathname = `/${name}`;
    return url.href;
  }

  async dropAll(): Promise<void> {
    await this.#admin(async (c) => {
      for (const name of this.#created.splice(0))
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    });
  }
}
