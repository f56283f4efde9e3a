import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CairnError, errors } from '../../kernel/errors.ts';
import type { InferenceService } from '../../serving/inference-service.ts';
import type { InferenceInput } from '../../serving/protocols/inference-input.ts';
import { parseJson } from '../../serving/protocols/lenient-json.ts';
import { CsvInput, mlflowJsonInput } from '../../serving/protocols/mlflow-request.ts';
import { encodeMlflowPredictions } from '../../serving/protocols/mlflow-response.ts';
import { routeHints, stateOf, tagReply, timeoutHeader } from './request-context.ts';

const CONTENT_TYPES = ['text/csv', 'application/json'];

/** A content type MLflow's scoring server refuses with 415. */
function unsupported(message: string): CairnError {
  return new CairnError('INVALID_ARGUMENT', message, { details: { http_status: 415 } });
}

/** The body as MLflow's scoring server reads it, by content type. */
function inputOf(request: FastifyRequest): InferenceInput {
  const contentType = request.headers['content-type'] ?? '';
  const [mime = '', ...params] = contentType.split(';').map((p) => p.trim());
  for (const p of params) {
    const [key = '', value = ''] = p.split('=').map((x) => x.trim().toLowerCase());
    if (key !== 'charset') throw unsupported(`Unrecognized content type parameters: ${key}.`);
    if (value !== 'utf-8') throw unsupported('The scoring server only supports UTF-8');
  }
  const body = (request.body as Buffer | undefined)?.toString('utf8') ?? '';
  if (mime.toLowerCase() === 'application/json') return mlflowJsonInput(parseJson(body));
  if (mime.toLowerCase() === 'text/csv') return new CsvInput(body);
  throw unsupported(
    `This predictor only supports the following content types: Types: [${CONTENT_TYPES.map((t) => `'${t}'`).join(', ')}]. Got '${contentType}'.`,
  );
}

/**
 * MLflow's scoring protocol: `POST /invocations` (the first endpoint served) and
 * `POST /endpoints/{name}/invocations` (the path MLflow's deployments client calls), answering
 * `{"predictions": [...]}`; `GET /ping` and `/health` (200 when ready), `/version`.
 */
export function mlflowScoringRoutes(
  app: FastifyInstance,
  service: InferenceService,
  mlflowVersion: string,
): void {
  const score = async (name: string | undefined, request: FastifyRequest, reply: FastifyReply) => {
    const state = stateOf(request);
    const endpointName = name ?? service.endpoints[0]?.name;
    if (endpointName === undefined) throw errors.unavailable('no model is served yet');
    const endpoint = service.endpoint(endpointName);
    if (endpoint) state.endpoint = endpointName;
    const input = inputOf(request);
    const result = await service.infer(endpointName, input, {
      requestId: request.id,
      startedAt: state.startedAt,
      ...routeHints(request, endpoint),
      ...(timeoutHeader(request) !== undefined ? { timeoutMs: timeoutHeader(request) as number } : {}),
    });
    tagReply(reply, request, result);
    return reply
      .header('content-type', 'application/json')
      .send(encodeMlflowPredictions(result.variant.model.outputs, result.outputs));
  };
  app.post('/invocations', (request, reply) => score(undefined, request, reply));
  app.post<{ Params: { name: string } }>('/endpoints/:name/invocations', (request, reply) =>
    score(request.params.name, request, reply),
  );
  const ping = async (_request: FastifyRequest, reply: FastifyReply) =>
    reply
      .status(service.ready ? 200 : 503)
      .header('content-type', 'application/json')
      .send('\n');
  app.get('/ping', ping);
  app.get('/health', ping);
  app.get('/version', async (_request, reply) =>
    reply.header('content-type', 'application/json').send(mlflowVersion),
  );
}
