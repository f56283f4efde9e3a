import assert from 'node:assert/strict';
import { connect, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HttpTrackingStore } from '../../src/tracking/http/http-tracking-store.ts';
import { startTestServer, type TestServer, type Variant, variants } from './server-harness.ts';

/**
 * A TCP proxy in front of a real `cairn server`. While `breaks` is above zero, the next request
 * is passed to the server, and when the server's answer arrives the client's connection is reset
 * instead of being given it: the server did the work, the client saw ECONNRESET.
 */
class BreakingProxy {
  breaks = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  constructor(backendPort: number) {
    this.#server = createTcpServer((client) => {
      this.#sockets.add(client);
      const backend = connect(backendPort, '127.0.0.1');
      this.#sockets.add(backend);
      client.on('data', (chunk) => backend.write(chunk));
      backend.on('data', (chunk) => {
        if (this.breaks > 0) {
          this.breaks--;
          client.resetAndDestroy();
          backend.destroy();
        } else client.write(chunk);
      });
      const end = () => {
        client.destroy();
        backend.destroy();
      };
      client.on('close', end);
      backend.on('close', end);
      client.on('error', () => undefined);
      backend.on('error', () => undefined);
    });
  }

  listen(port = 0): Promise<number> {
    return new Promise((resolve) =>
      this.#server.listen(port, '127.0.0.1', () =>
        resolve((this.#server.address() as { port: number }).port),
      ),
    );
  }

  close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

describe('the MLflow HTTP client retries only what is safe to repeat', () => {
  let server: TestServer;
  let proxy: BreakingProxy;
  let proxyPort: number;
  let client: HttpTrackingStore;
  let experimentId: string;

  before(async () => {
    server = await startTestServer(variants()[0] as Variant);
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    proxy = new BreakingProxy((server.app.server.address() as { port: number }).port);
    proxyPort = await proxy.listen();
    client = new HttpTrackingStore({ uri: `http://127.0.0.1:${proxyPort}`, backoffMs: 1 });
    experimentId = await server.backends.deps.tracking.createExperiment('retries');
  });
  after(async () => {
    await proxy?.close();
    await server?.close();
  });

  const runsInExperiment = async () =>
    (await server.backends.deps.tracking.searchRuns({ experiment_ids: [experimentId] })).items;

  it('does not send runs/create again when the connection broke after the server read it', async () => {
    proxy.breaks = 1;
    await assert.rejects(
      client.createRun({ experiment_id: experimentId, run_name: 'once' }),
      (e: Error & { code?: string }) =>
        e.code === 'UNAVAILABLE' && /ECONNRESET|other side closed/.test(e.message),
    );
    const runs = await runsInExperiment();
    assert.deepEqual(
      runs.map((r) => r.info.run_name),
      ['once'],
      'the server made the run once; the client did not make a second one',
    );
  });

  it('does not send experiments/create again either', async () => {
    proxy.breaks = 1;
    await assert.rejects(client.createExperiment('made-once'), { code: 'UNAVAILABLE' });
    const found = await server.backends.deps.tracking.getExperimentByName('made-once');
    assert.ok(found, 'the server created it');
  });

  it('repeats GETs and searches sent as POST', async () => {
    const [run] = await runsInExperiment();
    const runId = run?.info.run_id as string;
    proxy.breaks = 1;
    assert.equal((await client.getRun(runId)).info.run_id, runId);
    proxy.breaks = 1;
    const page = await client.searchRuns({ experiment_ids: [experimentId] });
    assert.equal(page.items.length, 1);
    assert.equal(proxy.breaks, 0, 'both requests were broken once and then sent again');
  });

  it('repeats a POST whose connection was refused, which the server never saw', async () => {
    const refusing = new BreakingProxy((server.app.server.address() as { port: number }).port);
    const port = await refusing.listen();
    await refusing.close();
    let attempts = 0;
    const store = new HttpTrackingStore({
      uri: `http://127.0.0.1:${port}`,
      backoffMs: 1,
      fetch: async (input, init) => {
        attempts++;
        try {
          return await fetch(input, init);
        } finally {
          // The first attempt is refused; the server comes up before the second.
          if (attempts === 1) await refusing.listen(port);
        }
      },
    });
    try {
      const run = await store.createRun({ experiment_id: experimentId, run_name: 'after-refusal' });
      assert.equal(run.info.run_name, 'after-refusal');
      assert.equal(attempts, 2);
      assert.equal((await runsInExperiment()).filter((r) => r.info.run_name === 'after-refusal').length, 1);
    } finally {
      await refusing.close();
    }
  });
});
