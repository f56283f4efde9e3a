import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { silentLogger } from '../../src/kernel/logging.ts';
import type { GatePolicy } from '../../src/registry/promotion/promotion-types.ts';
import { createServer, type ServerOptions } from '../../src/server/create-server.ts';
import {
  type ArtifactS3Settings,
  openServerBackends,
  type ServerBackends,
  serverRouteModules,
} from '../../src/server/server-wiring.ts';
import { assertNoInternals } from '../support/auth-matrix.ts';
import { freshDatabase } from '../support/pg-database.ts';
import { pgGate, s3Gate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';

/** Where a test server keeps its metadata and its artifacts. */
export interface Variant {
  name: string;
  store: 'sqlite' | 'postgres';
  artifacts: 'fs' | 's3';
  skip: string | false;
}

/** SQLite + disk always; PostgreSQL and S3 (and both together) when their services are configured. */
export function variants(): Variant[] {
  const pgSkip = pgGate().skip;
  const s3Skip = s3Gate().skip;
  return [
    { name: 'sqlite + fs', store: 'sqlite', artifacts: 'fs', skip: false },
    { name: 'postgres + fs', store: 'postgres', artifacts: 'fs', skip: pgSkip },
    { name: 'sqlite + s3', store: 'sqlite', artifacts: 's3', skip: s3Skip },
    { name: 'postgres + s3', store: 'postgres', artifacts: 's3', skip: pgSkip || s3Skip },
  ];
}

export interface TestServer {
  app: FastifyInstance;
  backends: ServerBackends;
  storeUri: string;
  artifactsUri: string;
  /** The artifact directory (fs variants). */
  artifactsDir?: string;
  /** Bucket and prefix (S3 variants). */
  s3?: { bucket: string; prefix: string };
  close(): Promise<void>;
}

export const S3_SETTINGS: ArtifactS3Settings = {
  endpoint: process.env.CAIRN_TEST_S3_ENDPOINT ?? '',
  region: 'us-east-1',
  path_style: true,
  access_key_id: process.env.CAIRN_TEST_S3_ACCESS_KEY ?? '',
  secret_access_key: process.env.CAIRN_TEST_S3_SECRET_KEY ?? '',
};

let bucket: Promise<string> | undefined;

/** This test file's bucket, created on first use (objects are left for MinIO's data dir to drop). */
export function testBucket(): Promise<string> {
  bucket ??= (async () => {
    const name = `cairn-server-${randomBytes(6).toString('hex')}`;
    await s3Admin().send(new CreateBucketCommand({ Bucket: name }));
    return name;
  })();
  return bucket;
}

let admin: S3Client | undefined;
export function s3Admin(): S3Client {
  admin ??= new S3Client({
    endpoint: S3_SETTINGS.endpoint as string,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: {
      accessKeyId: S3_SETTINGS.access_key_id as string,
      secretAccessKey: S3_SETTINGS.secret_access_key as string,
    },
  });
  return admin;
}

/** A new PostgreSQL database, dropped when the test file ends. */
export function freshPostgres(): Promise<string> {
  return freshDatabase(process.env.CAIRN_TEST_PG_URL as string, 'cairn_server');
}

/** Opens the backends of a variant, as `cairn server` does. */
export async function openVariant(
  variant: Variant,
  options: { gatePolicy?: GatePolicy } = {},
): Promise<Omit<TestServer, 'app' | 'close'> & { close(): Promise<void> }> {
  const dir = await tempDir('cairn-server-');
  const storeUri = variant.store === 'sqlite' ? `sqlite://${join(dir, 'cairn.db')}` : await freshPostgres();
  let artifactsUri: string;
  let s3: TestServer['s3'];
  let artifactsDir: string | undefined;
  if (variant.artifacts === 'fs') {
    artifactsDir = join(dir, 'artifacts');
    artifactsUri = `file://${artifactsDir}`;
  } else {
    s3 = { bucket: await testBucket(), prefix: `srv-${randomBytes(4).toString('hex')}/artifacts` };
    artifactsUri = `s3://${s3.bucket}/${s3.prefix}`;
  }
  const backends = await openServerBackends({
    storeUri,
    artifactsUri,
    ...(variant.artifacts === 's3' ? { s3: S3_SETTINGS } : {}),
    ...(options.gatePolicy ? { gatePolicy: options.gatePolicy } : {}),
    log: silentLogger,
  });
  return {
    backends,
    storeUri,
    artifactsUri,
    ...(artifactsDir ? { artifactsDir } : {}),
    ...(s3 ? { s3 } : {}),
    close: () => backends.close(),
  };
}

/** A server app (not listening) on a variant's backends, with every route module mounted. */
export async function startTestServer(
  variant: Variant,
  options: ServerOptions & { withAuthRoutes?: boolean; gatePolicy?: GatePolicy } = {},
): Promise<TestServer> {
  const { withAuthRoutes, gatePolicy, ...serverOptions } = options;
  const opened = await openVariant(variant, gatePolicy ? { gatePolicy } : {});
  const app = createServer(
    opened.backends.deps,
    serverOptions,
    serverRouteModules(withAuthRoutes || serverOptions.auth ? opened.backends.auth : undefined),
  );
  await app.ready();
  return {
    ...opened,
    app,
    close: async () => {
      await app.close();
      await opened.close();
    },
  };
}

/** The JSON body of an answer. */
export function json(res: LightMyRequestResponse): Record<string, unknown> {
  return JSON.parse(res.body) as Record<string, unknown>;
}

/** POST a JSON body to an MLflow endpoint (under /api/2.0/mlflow unless `prefix` says otherwise). */
export function post(
  app: FastifyInstance,
  path: string,
  body: unknown,
  prefix = '/api/2.0/mlflow',
): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: `${prefix}${path}`, payload: body as Record<string, unknown> });
}

/** GET an MLflow endpoint with a query string. */
export function get(
  app: FastifyInstance,
  path: string,
  query: Record<string, string | string[]> = {},
  prefix = '/api/2.0/mlflow',
): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url: `${prefix}${path}`, query });
}

/** PATCH or DELETE an MLflow endpoint, with a JSON body when one is given. */
export function send(
  app: FastifyInstance,
  method: 'PATCH' | 'DELETE',
  path: string,
  body?: Record<string, unknown>,
): Promise<LightMyRequestResponse> {
  return app.inject({ method, url: `/api/2.0/mlflow${path}`, ...(body ? { payload: body } : {}) });
}

/** Asserts a 200 answer and returns its JSON body. */
export function ok(res: LightMyRequestResponse): Record<string, unknown> {
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
}

/** Asserts an MLflow error answer: status, error code, optionally the message, and no internals. */
export function fails(res: LightMyRequestResponse, status: number, code: string, message?: RegExp): void {
  assert.equal(res.statusCode, status, res.body);
  const body = json(res);
  assert.equal(body.error_code, code, res.body);
  if (message) assert.match(body.message as string, message);
  assertNoInternals(res.body, res.body);
}
