import type { Cluster } from 'node:cluster';
import type { FastifyInstance } from 'fastify';
import {
  answer,
  type ClusterMessage,
  IpcCalls,
  isClusterMessage,
  toWire,
} from '../../server/inference/cluster-messages.ts';
import { ClusterPrimary } from '../../server/inference/cluster-primary.ts';
import { parseServingConfig, type ServingConfig } from '../../serving/serving-config.ts';
import type { ServingStatus } from '../../serving/serving-status.ts';
import {
  httpServer,
  listen,
  nextSignal,
  openService,
  readyLine,
  type ServeContext,
  shutdown,
} from './serve-process.ts';

/** `cairn serve --workers N`: this process is the primary, or one of the workers it forked. */
export async function runClustered(ctx: ServeContext, config: ServingConfig): Promise<void> {
  const cluster = (await import('node:cluster')).default;
  if (cluster.isWorker) return runWorker(ctx);
  return runPrimary(ctx, config, cluster);
}

async function runPrimary(ctx: ServeContext, config: ServingConfig, cluster: Cluster): Promise<void> {
  const { AggregatorRegistry } = await import('prom-client');
  const aggregator = new AggregatorRegistry();
  const primary = new ClusterPrimary(cluster, {
    workers: ctx.numbers.workers,
    config,
    log: ctx.log,
    metrics: async () => ({ contentType: aggregator.contentType, text: await aggregator.clusterMetrics() }),
  });
  const stopped = nextSignal();
  const port = await primary.start();
  ctx.s.out(readyLine(ctx, port, await primary.status(), ctx.numbers.workers));
  const signal = await stopped;
  ctx.s.io.stderr.write(`${signal}: stopping the workers (each finishes its requests in flight)\n`);
  if (!(await primary.stop())) process.exitCode = 1;
}

async function runWorker(ctx: ServeContext): Promise<void> {
  const send = (m: ClusterMessage) => process.send?.(m);
  const toPrimary = new IpcCalls(send);
  const { service, close } = await openService(ctx);
  const { AggregatorRegistry } = await import('prom-client');
  AggregatorRegistry.setRegistries([service.metrics.registry]);
  // Constructing one installs the listener that answers the primary's requests for metrics.
  new AggregatorRegistry();
  let app: FastifyInstance | undefined;
  const stopped = nextSignal();
  const started = new Promise<void>((resolve) => {
    process.on('message', (message: unknown) => {
      if (!isClusterMessage(message) || toPrimary.settle(message)) return;
      if (message.cairn === 'start') {
        void (async () => {
          try {
            await service.apply(parseServingConfig(message.config));
            app = httpServer(ctx, service, {
              controller: {
                apply: async (next) =>
                  (await toPrimary.call({ cairn: 'control', op: 'apply', config: next })) as ServingStatus,
                status: async () =>
                  (await toPrimary.call({ cairn: 'control', op: 'status' })) as ServingStatus,
              },
              metrics: async () =>
                (await toPrimary.call({ cairn: 'control', op: 'metrics' })) as {
                  contentType: string;
                  text: string;
                },
            });
            const port = await listen(app, ctx.flags.host, ctx.numbers.port);
            send({ cairn: 'listening', port });
            resolve();
          } catch (err) {
            send({ cairn: 'failed', error: toWire(err) });
            await close().catch(() => undefined);
            process.exit(1);
          }
        })();
      } else if (message.cairn === 'call')
        void answer(send, message.id, async () => {
          switch (message.op) {
            case 'prepare':
              return (await service.prepare(parseServingConfig(message.config))).id;
            case 'commit':
              return service.commit(message.prepared as string);
            case 'abort':
              return service.abort(message.prepared as string);
            default:
              return service.status();
          }
        });
    });
  });
  send({ cairn: 'booted' });
  await Promise.race([started, stopped]);
  await stopped;
  if (app) await shutdown(app, service, close);
  else await close();
  process.disconnect?.();
}
