import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Tracking } from '../../src/sdk/tracking.ts';
import { startTestServer, type TestServer, type Variant, variants } from './server-harness.ts';

describe('the SDK while its tracking server is down', () => {
  let server: TestServer;
  let port: number;
  const warnings: (Error & { code?: string })[] = [];
  const onWarning = (w: Error & { code?: string }) => {
    if (w.code === 'CAIRN_METRICS_DROPPED') warnings.push(w);
  };

  before(async () => {
    server = await startTestServer(variants()[0] as Variant);
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    port = (server.app.server.address() as { port: number }).port;
    process.on('warning', onWarning);
  });
  after(async () => {
    process.off('warning', onWarning);
    await server?.close();
  });

  /** Stops accepting connections (the stores stay open), as a server that went down. */
  const down = () =>
    new Promise<void>((resolve) => {
      server.app.server.close(() => resolve());
      server.app.server.closeAllConnections();
    });
  const up = () =>
    new Promise<void>((resolve) => server.app.server.listen(port, '127.0.0.1', () => resolve()));

  it('keeps at most maxQueuedMetrics points, drops the oldest, and says how many', async () => {
    const tracking = await Tracking.connect({
      uri: `http://127.0.0.1:${port}`,
      env: {},
      maxQueuedMetrics: 2000,
      flushIntervalMs: 60_000,
    });
    try {
      const run = await tracking.startRun({ experiment: 'queue-bound' });
      await down();
      for (let step = 0; step < 5000; step++) tracking.logMetric('loss', 1 / (step + 1), { step });
      assert.equal(tracking.pendingMetrics, 2000, 'the queue stays at its bound');
      assert.equal(tracking.droppedMetrics, 3000);
      await new Promise((r) => setImmediate(r)); // warnings are delivered on the next tick
      assert.equal(warnings.length, 1, 'one warning when dropping starts');
      assert.match(warnings[0]?.message ?? '', /queue of metric points .* is full \(2,000 points\)/);

      await assert.rejects(tracking.flush(), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'UNAVAILABLE');
        assert.match(err.message, /2000 metric point\(s\) could not be written .*they are kept/);
        return true;
      });
      await new Promise((r) => setImmediate(r));
      assert.equal(warnings.length, 2);
      assert.match(
        warnings[1]?.message ?? '',
        /^3,000 metric point\(s\) were dropped because http:\/\/127\.0\.0\.1/,
      );

      await up();
      assert.deepEqual(await tracking.flush(), { droppedMetrics: 3000 });
      assert.equal(tracking.pendingMetrics, 0);
      const history = await server.backends.deps.tracking.getMetricHistory(run.run_id, 'loss', {
        max_results: 10_000,
      });
      assert.deepEqual(
        history.items.map((m) => m.step),
        Array.from({ length: 2000 }, (_, i) => 3000 + i),
        'the newest 2,000 points reached the server, in order',
      );
    } finally {
      if (!server.app.server.listening) await up();
      await tracking.close().catch(() => undefined);
    }
  });

  it('reads its bound from CAIRN_METRIC_QUEUE_LIMIT and refuses a bad one', async () => {
    const tracking = await Tracking.connect({
      uri: `http://127.0.0.1:${port}`,
      env: { CAIRN_METRIC_QUEUE_LIMIT: '10' },
      flushIntervalMs: 60_000,
    });
    try {
      await tracking.startRun({ experiment: 'queue-bound' });
      // Fewer points than a batch and a long interval: nothing is sent while they are logged.
      for (let step = 0; step < 25; step++) tracking.logMetric('acc', step, { step });
      assert.equal(tracking.pendingMetrics, 10);
      assert.equal(tracking.droppedMetrics, 15);
    } finally {
      await tracking.close();
    }
    await assert.rejects(
      Tracking.connect({ uri: `http://127.0.0.1:${port}`, env: { CAIRN_METRIC_QUEUE_LIMIT: 'lots' } }),
      { code: 'INVALID_ARGUMENT', message: /CAIRN_METRIC_QUEUE_LIMIT=lots/ },
    );
  });
});
