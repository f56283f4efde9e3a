import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { HttpRegistryStore } from '../../src/registry/http/http-registry-store.ts';
import { createServer } from '../../src/server/create-server.ts';
import { serverRouteModules } from '../../src/server/server-wiring.ts';
import { describeRegistryStore } from '../contracts/registry-store.contract.ts';
import { openVariant, startTestServer, type TestServer, type Variant, variants } from './server-harness.ts';

async function listening(server: TestServer): Promise<string> {
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
}

/** The registry contract through Cairn's server: HttpRegistryStore → MLflow REST API → SqlRegistryStore. */
for (const variant of variants().filter((v) => v.artifacts === 'fs')) {
  let server: TestServer | undefined;
  describeRegistryStore(
    `http against cairn server (${variant.name})`,
    {
      open: async () => {
        server = await startTestServer(variant);
        return new HttpRegistryStore({ uri: await listening(server) });
      },
      close: async () => {
        await server?.close();
      },
    },
    { skip: variant.skip },
  );
}

describe('HttpRegistryStore credentials and transport errors', () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  let url = '';
  let token = '';
  before(async () => {
    const opened = await openVariant(variants()[0] as Variant);
    const auth = opened.backends.auth;
    app = createServer(opened.backends.deps, { auth: { store: auth } }, serverRouteModules(auth));
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    token = (await auth.createToken({ role: 'editor', name: 'http-store' })).token;
    await auth.createUser({ name: 'ana', password: 'ana-password', role: 'viewer' });
    close = async () => {
      await app.close();
      await opened.close();
    };
  });
  after(async () => {
    await close?.();
  });

  const rejects = (promise: Promise<unknown>, code: string, message?: RegExp) =>
    assert.rejects(promise, (err: Error & { code?: string; hint?: string }) => {
      assert.equal(err.code, code, err.message);
      if (message) assert.match(err.message, message);
      return true;
    });

  it('sends a bearer token or Basic credentials, and rebuilds refusals as CairnErrors', async () => {
    const editor = new HttpRegistryStore({ uri: url, token });
    await editor.createRegisteredModel('secured');
    await rejects(new HttpRegistryStore({ uri: url }).getRegisteredModel('secured'), 'UNAUTHENTICATED');
    const viewer = new HttpRegistryStore({ uri: url, username: 'ana', password: 'ana-password' });
    assert.equal((await viewer.getRegisteredModel('secured')).name, 'secured');
    await rejects(viewer.createRegisteredModel('not-allowed'), 'PERMISSION_DENIED');
    const inUrl = new HttpRegistryStore({ uri: url.replace('http://', 'http://ana:ana-password@') });
    assert.equal((await inUrl.getRegisteredModel('secured')).name, 'secured');
  });

  it('reports an unreachable server as UNAVAILABLE and a bad URI as INVALID_ARGUMENT', async () => {
    await rejects(
      new HttpRegistryStore({
        uri: 'http://127.0.0.1:9',
        timeoutMs: 2000,
        maxAttempts: 1,
      }).getRegisteredModel('x'),
      'UNAVAILABLE',
      /cannot reach/,
    );
    assert.throws(() => new HttpRegistryStore({ uri: 'ftp://host' }), { code: 'INVALID_ARGUMENT' });
  });
});
