import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { CairnError, errors, isCairnError } from '../../kernel/errors.ts';
import type { Logger } from '../../kernel/logging.ts';
import type { InferenceService } from '../../serving/inference-service.ts';
import { v2Datatype } from '../../serving/protocols/v2-response.ts';
import type { Endpoint } from '../../serving/router/endpoint.ts';
import type { ServingConfig } from '../../serving/serving-config.ts';
import { parseServingConfig } from '../../serving/serving-config.ts';
import type { ServingStatus } from '../../serving/serving-status.ts';
import { failureOf, sendFailure, styleOf } from './inference-errors.ts';
import { mlflowScoringRoutes } from './mlflow-scoring-routes.ts';
import { requestIdOf, stateOf, tagReply } from './request-context.ts';
import { v2InferRoutes } from './v2-infer-routes.ts';

/** Who applies a new configuration: this process's service, or the cluster's primary for every worker. */
export interface ServingController {
  apply(config: ServingConfig): Promise<ServingStatus>;
  status(): Promise<ServingStatus>;
}

export interface InferenceServerOptions {
  /** Largest request body accepted, in bytes; a larger one is answered 413. */
  bodyLimit: number;
  /** The bearer token of the admin API (`/api/v1/serving`); without one the admin API is off. */
  adminToken?: string;
  /** Applies configurations from the admin API (default: the service itself). */
  controller?: ServingController;
  /** `/metrics`' body (default: this process's registry; a cluster worker asks the primary). */
  metrics?: () => Promise<{ contentType: string; text: string }>;
  /** The server's name and version for V2 server metadata. */
  version: string;
  /** The MLflow release whose scoring protocol `/version` names. */
  mlflowVersion: string;
  log: Logger;
}

function tokenMatches(given: string | undefined, expected: string): boolean {
  if (!given?.startsWith('Bearer ')) return false;
  const a = createHash('sha256').update(given.slice('Bearer '.length)).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * The inference HTTP server (not listening yet): the Open Inference Protocol (KServe V2) under
 * `/v2`, MLflow's scoring protocol (`/invocations`, `/endpoints/<name>/invocations`, `/ping`,
 * `/health`, `/version`), Prometheus `/metrics`, `/healthz` and `/readyz`, and, with an admin
 * token, the admin API under `/api/v1/serving`. Routes only translate HTTP to the service.
 */
export function createInferenceServer(
  service: InferenceService,
  options: InferenceServerOptions,
): FastifyInstance {
  const app = Fastify({
    bodyLimit: options.bodyLimit,
    genReqId: requestIdOf,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    frameworkErrors: (err, request, reply) =>
      sendFailure(reply as unknown as FastifyReply, styleOf(request.url), {
        status: 400,
        code: 'INVALID_ARGUMENT',
        message: `invalid request: ${err.message}`,
      }),
  });
  // Bodies are read as bytes and decoded by the route: V2 may carry binary tensors after its
  // JSON, MLflow's scoring takes JSON or CSV, and Python clients may send NaN in JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((err, request, reply) => {
    const failure = failureOf(err);
    const state = stateOf(request);
    if (!service.metrics.counted(err))
      service.metrics.failed(
        { endpoint: state.endpoint ?? '', model: '', version: '', variant: '' },
        failure.status,
      );
    if (failure.status >= 500 && !isCairnError(err))
      options.log.error({ err, url: request.url }, 'unhandled error');
    tagReply(reply, request);
    return sendFailure(reply, styleOf(request.url), failure);
  });
  app.setNotFoundHandler((request, reply) =>
    sendFailure(reply, styleOf(request.url), {
      status: 404,
      code: 'ROUTE',
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
    }),
  );

  const ready = (reply: FastifyReply) => reply.status(service.ready ? 200 : 503).send();
  app.get('/v2/health/live', async (_request, reply) => reply.status(200).send());
  app.get('/v2/health/ready', async (_request, reply) => ready(reply));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) =>
    service.ready
      ? { status: 'ready' }
      : reply.status(503).send({ code: 'UNAVAILABLE', message: 'not ready: loading, or shutting down' }),
  );
  app.get('/v2', async () => ({
    name: 'cairn',
    version: options.version,
    extensions: ['binary_tensor_data'],
  }));
  app.get('/v2/models', async () => ({
    models: service.endpoints.map((e) => ({
      name: e.name,
      versions: versionsOf(e),
      platform: 'onnx_onnxv1',
      ready: service.ready,
    })),
  }));

  const endpointOr404 = (name: string): Endpoint => {
    const endpoint = service.endpoint(name);
    if (!endpoint)
      throw errors.notFound(`no model named ${name} is served here`, { details: { model: name } });
    return endpoint;
  };
  const metadata = async (request: FastifyRequest<{ Params: { name: string; version?: string } }>) => {
    const endpoint = endpointOr404(request.params.name);
    const variant = endpoint.route(
      request.params.version !== undefined ? { version: request.params.version } : {},
      {
        ...endpoint.routing,
        // Metadata describes the primary variant unless a version is named.
        variants: endpoint.routing.variants.slice(0, 1),
      },
    );
    const schema = variant.model.schema;
    return {
      name: endpoint.name,
      versions: versionsOf(endpoint),
      platform: 'onnx_onnxv1',
      inputs: schema.columns.map((c) => ({ name: c.name, datatype: v2Datatype(c.type), shape: [-1] })),
      outputs: schema.outputs.map((o) => ({ name: o.name, datatype: v2Datatype(o.type), shape: [-1] })),
    };
  };
  app.get('/v2/models/:name', metadata);
  app.get('/v2/models/:name/versions/:version', metadata);
  const modelReady = async (
    request: FastifyRequest<{ Params: { name: string; version?: string } }>,
    reply: FastifyReply,
  ) => {
    const endpoint = service.endpoint(request.params.name);
    const served =
      endpoint !== undefined &&
      (request.params.version === undefined || versionsOf(endpoint).includes(request.params.version));
    return reply.status(served && service.ready ? 200 : served ? 503 : 404).send();
  };
  app.get('/v2/models/:name/ready', modelReady);
  app.get('/v2/models/:name/versions/:version/ready', modelReady);

  v2InferRoutes(app, service);
  mlflowScoringRoutes(app, service, options.mlflowVersion);

  const metricsText =
    options.metrics ??
    (async () => ({
      contentType: service.metrics.registry.contentType,
      text: await service.metrics.registry.metrics(),
    }));
  app.get('/metrics', async (_request, reply) => {
    const { contentType, text } = await metricsText();
    return reply.header('content-type', contentType).send(text);
  });

  if (options.adminToken) {
    const token = options.adminToken;
    const controller: ServingController = options.controller ?? {
      apply: (config) => service.apply(config),
      status: async () => service.status(),
    };
    app.register(
      async (scope) => {
        scope.addHook('onRequest', async (request) => {
          if (!tokenMatches(request.headers.authorization, token))
            throw new CairnError(
              'UNAUTHENTICATED',
              'the serving admin API needs the bearer token the server was started with',
            );
        });
        scope.get('/serving', async () => controller.status());
        scope.put('/serving', async (request) => {
          let doc: unknown;
          try {
            doc = JSON.parse((request.body as Buffer | undefined)?.toString('utf8') ?? '');
          } catch (err) {
            throw errors.invalid(`the body is not JSON: ${(err as Error).message}`);
          }
          return controller.apply(parseServingConfig(doc));
        });
      },
      { prefix: '/api/v1' },
    );
  }
  return app;
}

/** The versions an endpoint serves, variants first: what `/versions/{v}` may name. */
export function versionsOf(endpoint: Endpoint): string[] {
  const { variants, shadows } = endpoint.routing;
  return [...new Set([...variants, ...shadows].map((v) => v.model.model.version))];
}
