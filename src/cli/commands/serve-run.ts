import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../kernel/logging.ts';
import { parseServingConfig, type ServingConfig } from '../../serving/serving-config.ts';
import type { CliSession } from '../session.ts';
import { configFromFlags, type ServeFlags, serverNumbers } from './serve-options.ts';
import {
  adminTokenOf,
  httpServer,
  listen,
  nextSignal,
  openService,
  readyLine,
  type ServeContext,
  shutdown,
} from './serve-process.ts';

/** `cairn serve`: one process, or a primary and its workers. */
export async function runServe(s: CliSession, models: string[], flags: ServeFlags): Promise<void> {
  const numbers = serverNumbers(flags);
  const config: ServingConfig = parseServingConfig(await configFromFlags(s, models, flags));
  const { createLogger } = await import('../../kernel/pino-logger.ts');
  const log: Logger = createLogger({ level: s.verbose ? 'debug' : 'warn', destination: s.io.stderr });
  const adminToken = await adminTokenOf(s, flags);
  const ctx: ServeContext = { s, flags, numbers, log, ...(adminToken ? { adminToken } : {}) };
  if (numbers.workers > 1) {
    const { runClustered } = await import('./serve-cluster.ts');
    return runClustered(ctx, config);
  }
  const { service, close } = await openService(ctx);
  let app: FastifyInstance | undefined;
  try {
    await service.apply(config);
    app = httpServer(ctx, service);
    const stopped = nextSignal();
    const port = await listen(app, flags.host, numbers.port);
    s.out(readyLine(ctx, port, service.status(), 1));
    const signal = await stopped;
    s.io.stderr.write(`${signal}: finishing requests in flight, then stopping\n`);
    await shutdown(app, service, close);
  } catch (err) {
    await app?.close().catch(() => undefined);
    await close().catch(() => undefined);
    throw err;
  }
}
