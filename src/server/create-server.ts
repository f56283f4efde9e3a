import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { BlobStore } from '../blobs/blob-store.ts';
import type { WebhookService } from '../ci/webhooks/webhook-service.ts';
import { ERROR_CODES, isCairnError } from '../kernel/errors.ts';
import type { Logger } from '../kernel/logging.ts';
import type { PromotionStore } from '../registry/promotion/promotion-store.ts';
import type { RegistryStore } from '../registry/registry-store.ts';
import type { MetadataStore } from '../store/metadata-store.ts';
import type { LoggedModelStore } from '../tracking/logged-model-store.ts';
import type { TrackingStore } from '../tracking/tracking-store.ts';
import { collectDocumentedRoutes, openApiRoute } from './api/openapi-route.ts';
import { HEALTHZ_ROUTE_SCHEMA, READYZ_ROUTE_SCHEMA } from './api/openapi-schemas.ts';
import { installAuth, type ServerAuth } from './auth/install-auth.ts';
import { MLFLOW_ERRORS } from './mlflow/mlflow-errors.ts';
import { isMlflowUrl } from './mlflow/mlflow-namespaces.ts';
import { normaliseMlflowRequest } from './mlflow/mlflow-schemas.ts';
import { mlflowValidationMessage, type SchemaError } from './mlflow/validation-message.ts';
import { installOriginPolicy, type OriginPolicy } from './origin/origin-policy.ts';

/** The backends the server translates HTTP to. It reads no environment and picks no backend. */
export interface ServerDeps {
  tracking: TrackingStore;
  /** MLflow 3 logged models; routes that need them build a SQL store on `metadata` when absent. */
  loggedModels?: LoggedModelStore;
  registry: RegistryStore;
  /** MLflow's webhooks API and their deliveries; the webhook routes are not mounted without it. */
  webhooks?: WebhookService;
  /** Gate results and guarded alias moves; default: SQL on `metadata`, with no gates enforced. */
  promotion?: PromotionStore;
  /** Where run artifacts live (the artifact proxy reads and writes here). */
  artifacts: BlobStore;
  /**
   * The URI of `artifacts` (`file:///abs/dir`, `s3://bucket/prefix`): runs whose artifact URIs
   * lie under it are served, and `file:` artifact locations must point into it. Default: derived
   * from `artifacts.location`.
   */
  artifactsUri?: string;
  /** Pinged by /readyz. */
  metadata: MetadataStore;
  log: Logger;
}

export interface ServerOptions {
  /** Largest JSON body accepted, in bytes (default 16 MiB; MLflow's log-batch limit is 1 MB of payload). */
  bodyLimit?: number;
  /** Largest artifact upload accepted through the proxy, in bytes (default 5 GiB). */
  maxArtifactBytes?: number;
  /** Require credentials on every route but /healthz and /readyz (see src/server/auth/route-roles.ts). */
  auth?: ServerAuth | null;
  /** Fastify's request log (a pino logger); none by default. */
  requestLogger?: FastifyBaseLogger | null;
  /**
   * Host names (beyond IP addresses and `localhost`) and browser origins the server answers; see
   * src/server/origin/origin-policy.ts. Default: no other name, no cross-origin caller.
   */
  origins?: OriginPolicy;
  /**
   * How long `model-versions/create` waits for the package hash before answering
   * PENDING_REGISTRATION (default 1,000 ms); the hash goes on in the background either way.
   */
  registrationWaitMs?: number;
}

/** A route module: registers its routes on the instance it is given. */
export type RouteModule = (app: FastifyInstance, deps: ServerDeps, options: Required<ServerOptions>) => void;

const MLFLOW_PREFIXES = ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow'];

/**
 * Builds the HTTP server (not listening yet): MLflow's REST API under /api/2.0/mlflow and
 * /ajax-api/2.0/mlflow, the artifact proxy, Cairn's own /api/v1 (with its OpenAPI document at
 * /api/v1/openapi.json, made from the routes' schemas), and /healthz and /readyz.
 * Errors: MLflow routes answer `{error_code, message}`, Cairn's routes `{code, message, details}`;
 * anything that is not a CairnError is logged and answered as a 500 with no internals.
 */
export function createServer(
  deps: ServerDeps,
  options: ServerOptions = {},
  modules: { mlflow: RouteModule[]; api: RouteModule[]; root: RouteModule[] } = {
    mlflow: [],
    api: [],
    root: [],
  },
): FastifyInstance {
  const opts: Required<ServerOptions> = {
    bodyLimit: options.bodyLimit ?? 16 * 1024 * 1024,
    maxArtifactBytes: options.maxArtifactBytes ?? 5 * 1024 ** 3,
    auth: options.auth ?? null,
    requestLogger: options.requestLogger ?? null,
    origins: options.origins ?? { hosts: [], corsOrigins: [] },
    registrationWaitMs: options.registrationWaitMs ?? 1000,
  };
  const app = Fastify({
    bodyLimit: opts.bodyLimit,
    // MLflow clients send numbers as strings in query strings and booleans as "true"; coerce.
    // `verbose` keeps the offending value in each error, for MLflow-like messages; MLflow's
    // protobuf fields accept several JSON types (an int64 as a number or a string).
    ajv: {
      customOptions: {
        coerceTypes: 'array',
        removeAdditional: false,
        useDefaults: true,
        verbose: true,
        allowUnionTypes: true,
      },
    },
    ...(opts.requestLogger ? { loggerInstance: opts.requestLogger } : {}),
    return503OnClosing: true,
    // A URL that is not valid percent-encoding never reaches a route: answer it in the API's format.
    frameworkErrors: (err, request, reply) => {
      const message = `invalid request: ${err.message}`;
      const r = reply as unknown as FastifyReply;
      return isMlflowRoute(request as FastifyRequest)
        ? r.status(400).send({ error_code: 'INVALID_PARAMETER_VALUE', message })
        : r.status(400).send({ code: 'INVALID_ARGUMENT', message });
    },
    forceCloseConnections: 'idle',
  });
  installOriginPolicy(app, opts.origins);
  if (opts.auth) installAuth(app, opts.auth);
  const documented = collectDocumentedRoutes(app);

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const mlflow = isMlflowRoute(request);
    if (isCairnError(err)) {
      if (mlflow) {
        const m = MLFLOW_ERRORS[err.code];
        return reply.status(m.status).send({ error_code: m.error_code, message: err.message });
      }
      return reply
        .status(ERROR_CODES[err.code].http)
        .send({ code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) });
    }
    if (err.validation || err.statusCode === 400 || err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const message = `invalid request: ${err.message}`;
      return mlflow
        ? reply.status(400).send({
            error_code: 'INVALID_PARAMETER_VALUE',
            message: err.validation
              ? mlflowValidationMessage(err.validation as unknown as SchemaError[], message)
              : message,
          })
        : reply.status(400).send({ code: 'INVALID_ARGUMENT', message });
    }
    if (err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const message = `request body too large (limit ${opts.bodyLimit} bytes)`;
      return mlflow
        ? reply.status(413).send({ error_code: 'RESOURCE_EXHAUSTED', message })
        : reply.status(413).send({ code: 'RESOURCE_EXHAUSTED', message });
    }
    deps.log.error({ err, url: request.url }, 'unhandled error');
    return mlflow
      ? reply.status(500).send({ error_code: 'INTERNAL_ERROR', message: 'internal server error' })
      : reply.status(500).send({ code: 'INTERNAL', message: 'internal server error' });
  });

  app.setNotFoundHandler((request, reply) => {
    const message = `no endpoint ${request.method} ${request.url.split('?')[0]}`;
    return isMlflowRoute(request)
      ? reply.status(404).send({ error_code: 'ENDPOINT_NOT_FOUND', message })
      : reply.status(404).send({ code: 'NOT_FOUND', message });
  });

  app.get('/healthz', { schema: HEALTHZ_ROUTE_SCHEMA }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: READYZ_ROUTE_SCHEMA }, async (_request, reply) => {
    try {
      await deps.metadata.ping();
      await deps.artifacts.has('readyz-probe');
      return { status: 'ready' };
    } catch (err) {
      deps.log.warn({ err }, 'not ready');
      return reply.status(503).send({ code: 'UNAVAILABLE', message: 'a backing store is not reachable' });
    }
  });

  for (const prefix of MLFLOW_PREFIXES)
    app.register(
      async (scope) => {
        scope.addHook('preValidation', normaliseMlflowRequest);
        for (const module of modules.mlflow) module(scope, deps, opts);
      },
      { prefix },
    );
  app.register(
    async (scope) => {
      for (const module of modules.api) module(scope, deps, opts);
      openApiRoute(scope, documented, { auth: opts.auth !== null });
    },
    { prefix: '/api/v1' },
  );
  for (const module of modules.root) module(app, deps, opts);
  return app;
}

/** MLflow's namespaces (its REST API 2.0 and 3.0, the artifact proxy), where errors are MLflow's. */
function isMlflowRoute(request: FastifyRequest): boolean {
  return isMlflowUrl(request.url);
}
