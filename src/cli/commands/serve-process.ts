import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { errors } from '../../kernel/errors.ts';
import type { Logger } from '../../kernel/logging.ts';
import { createInferenceServer, type ServingController } from '../../server/inference/inference-server.ts';
import { createServingService, type RegistrySource } from '../../server/inference/serving-wiring.ts';
import { MLFLOW_API_VERSION } from '../../server/mlflow/mlflow-health-routes.ts';
import type { InferenceService } from '../../serving/inference-service.ts';
import { DEFAULT_PREDICTION_LOG } from '../../serving/prediction-log/prediction-log-writer.ts';
import type { ServingStatus } from '../../serving/serving-status.ts';
import type { CliSession } from '../session.ts';
import { cairnDir, type ServeFlags, type serverNumbers, workspaceRoot } from './serve-options.ts';
import { s3Settings } from './server-locations.ts';

export interface ServeContext {
  s: CliSession;
  flags: ServeFlags;
  numbers: ReturnType<typeof serverNumbers>;
  log: Logger;
  adminToken?: string;
}

function cairnVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export async function adminTokenOf(s: CliSession, flags: ServeFlags): Promise<string | undefined> {
  if (flags.adminTokenFile !== undefined) {
    const token = (
      await readFile(resolve(s.cwd, flags.adminTokenFile), 'utf8').catch((err: unknown) => {
        throw errors.notFound(
          `cannot read --admin-token-file ${flags.adminTokenFile}: ${(err as Error).message}`,
        );
      })
    ).trim();
    if (token.length < 16)
      throw errors.invalid(
        `--admin-token-file ${flags.adminTokenFile} holds a token shorter than 16 characters`,
      );
    return token;
  }
  const env = s.io.env.CAIRN_SERVE_ADMIN_TOKEN;
  return env ? env : undefined;
}

/** Where models:/ URIs are looked up: --registry, the tracking URI variables, or the workspace. */
async function registrySource(
  s: CliSession,
  flags: ServeFlags,
  root: string | undefined,
): Promise<{
  source: RegistrySource;
  close(): Promise<void>;
}> {
  const env = s.io.env;
  const uri = flags.registry || env.CAIRN_TRACKING_URI || env.MLFLOW_TRACKING_URI || undefined;
  const none = async () => undefined;
  if (uri && /^https?:\/\//i.test(uri)) {
    const token = flags.token || env.CAIRN_TRACKING_TOKEN || env.MLFLOW_TRACKING_TOKEN || undefined;
    const basic =
      !token && env.MLFLOW_TRACKING_USERNAME
        ? { username: env.MLFLOW_TRACKING_USERNAME, password: env.MLFLOW_TRACKING_PASSWORD ?? '' }
        : {};
    return { source: { kind: 'server', uri, ...(token ? { token } : {}), ...basic }, close: none };
  }
  if (uri && /^(sqlite|postgres(ql)?):/i.test(uri)) {
    const { resolveTrackingTarget } = await import('../../sdk/tracking-uri.ts');
    const { openMetadataStore } = await import('../../store/open-metadata-store.ts');
    const { SqlTrackingStore } = await import('../../tracking/sql/sql-tracking-store.ts');
    const target = await resolveTrackingTarget({ uri, env, cwd: s.cwd });
    const metadata = await openMetadataStore(uri);
    const tracking = new SqlTrackingStore(metadata, { defaultArtifactRoot: target.defaultArtifactRoot });
    return { source: { kind: 'store', metadata, tracking }, close: () => metadata.close() };
  }
  if (uri)
    throw errors.invalid(`--registry ${uri} is not a registry URI`, {
      hint: 'use http(s)://host:port, sqlite:///… or postgresql://…',
    });
  if (!root) return { source: { kind: 'none' }, close: none };
  const ws = await s.workspace();
  return { source: { kind: 'store', metadata: ws.metadata, tracking: await ws.tracking() }, close: none };
}

/** The service of this process, wired to the registry, package cache and prediction log. */
export async function openService(
  ctx: ServeContext,
): Promise<{ service: InferenceService; close(): Promise<void> }> {
  const { s, flags, numbers, log } = ctx;
  const root = await workspaceRoot(s);
  const registry = await registrySource(s, flags, root);
  let predictionLog: Parameters<typeof createServingService>[0]['predictionLog'];
  const where = flags.predictionLog ?? cairnDir(root, 'predictions');
  if (where !== 'off') {
    const { openBlobStore } = await import('../../blobs/open-blob-store.ts');
    const url = where.startsWith('s3://') || where.startsWith('file://') ? where : resolve(s.cwd, where);
    const store = await openBlobStore({ url, ...(url.startsWith('s3://') ? s3Settings(s.io.env) : {}) });
    predictionLog = { store, config: { ...DEFAULT_PREDICTION_LOG, sample: numbers.sample } };
  }
  const service = await createServingService({
    registry: registry.source,
    cacheDir: flags.cacheDir ? resolve(s.cwd, flags.cacheDir) : cairnDir(root, 'serving', 'packages'),
    cwd: s.cwd,
    ...(predictionLog ? { predictionLog } : {}),
    log,
  });
  return {
    service,
    close: async () => {
      await service.close();
      await registry.close();
    },
  };
}

/** The HTTP server over a service, with this process's options. */
export function httpServer(
  ctx: ServeContext,
  service: InferenceService,
  extra: {
    controller?: ServingController;
    metrics?: () => Promise<{ contentType: string; text: string }>;
  } = {},
): FastifyInstance {
  return createInferenceServer(service, {
    bodyLimit: ctx.numbers.bodyLimit,
    ...(ctx.adminToken ? { adminToken: ctx.adminToken } : {}),
    ...extra,
    version: cairnVersion(),
    mlflowVersion: MLFLOW_API_VERSION,
    log: ctx.log,
  });
}

export async function listen(app: FastifyInstance, host: string, port: number): Promise<number> {
  try {
    await app.listen({ host, port });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EADDRINUSE')
      throw errors.unavailable(`cannot listen on ${host}:${port}: the port is in use`, {
        cause: err,
        hint: 'stop the other server or pick another port with --port (0 picks a free one)',
      });
    if (code === 'EACCES')
      throw errors.unavailable(`cannot listen on ${host}:${port}: permission denied`, {
        cause: err,
        hint: 'ports below 1024 need privileges; use --port 8080',
      });
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw errors.invalid(`cannot listen on ${host}: no such address on this machine`, { cause: err });
    throw err;
  }
  const address = app.server.address();
  return typeof address === 'object' && address !== null ? address.port : port;
}

/** Resolves with the signal's name on the first SIGTERM or SIGINT. */
export function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

/**
 * Graceful stop: readiness turns false, the listener closes (requests on open connections get
 * 503), requests in flight and queued finish, the prediction log is flushed.
 */
export async function shutdown(
  app: FastifyInstance,
  service: InferenceService,
  close: () => Promise<void>,
): Promise<void> {
  service.stopAccepting();
  // A keep-alive connection whose request just finished would otherwise hold the server open.
  const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
  try {
    await app.close();
    await service.drain();
    await close();
  } finally {
    clearInterval(sweep);
  }
}

function describe(status: ServingStatus): string {
  return status.endpoints
    .map(
      (e) =>
        `${e.name} (${e.variants
          .map(
            (v) =>
              `${v.name}: ${v.model.name} ${v.model.version}${v.role === 'shadow' ? ', shadow' : v.weight !== undefined && e.variants.length > 1 ? `, weight ${v.weight}` : ''}`,
          )
          .join('; ')})`,
    )
    .join(', ');
}

export function readyLine(ctx: ServeContext, port: number, status: ServingStatus, workers: number): string {
  const host =
    ctx.flags.host.includes(':') && !ctx.flags.host.startsWith('[') ? `[${ctx.flags.host}]` : ctx.flags.host;
  const url = `http://${host}:${port}`;
  if (ctx.flags.json) return JSON.stringify({ url, port, pid: process.pid, workers, ...status });
  return `Cairn serving on ${url} (${workers} worker${workers === 1 ? '' : 's'}): ${describe(status)}`;
}
