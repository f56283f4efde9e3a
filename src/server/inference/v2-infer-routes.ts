import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../../kernel/errors.ts';
import type { InferenceService } from '../../serving/inference-service.ts';
import { parseV2Request, V2Input } from '../../serving/protocols/v2-request.ts';
import { encodeV2Response } from '../../serving/protocols/v2-response.ts';
import { routeHints, stateOf, tagReply, timeoutHeader } from './request-context.ts';

type InferRequest = FastifyRequest<{ Params: { name: string; version?: string } }>;

/** Triton's `timeout` request parameter, in microseconds. */
function timeoutParameter(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw errors.invalid(
      `parameter "timeout" must be a positive number of microseconds, got ${JSON.stringify(value)}`,
    );
  return value / 1000;
}

/**
 * `POST /v2/models/{name}[/versions/{version}]/infer`: the request's inputs matched to the
 * model's columns, the outputs asked for (all by default) as JSON or binary tensor data.
 */
export function v2InferRoutes(app: FastifyInstance, service: InferenceService): void {
  const infer = async (request: InferRequest, reply: FastifyReply) => {
    const state = stateOf(request);
    const { name, version } = request.params;
    const endpoint = service.endpoint(name);
    if (endpoint) state.endpoint = name;
    const body = request.body as Buffer | undefined;
    if (!body || body.length === 0) throw errors.invalid('the inference request has no body');
    const header = request.headers['inference-header-content-length'];
    const v2 = parseV2Request(body, header === undefined ? undefined : Number(header));
    const timeouts = [timeoutParameter(v2.parameters.timeout), timeoutHeader(request)].filter(
      (t): t is number => t !== undefined,
    );
    const result = await service.infer(name, new V2Input(v2), {
      requestId: request.id,
      startedAt: state.startedAt,
      ...routeHints(request, endpoint),
      ...(version !== undefined ? { version } : {}),
      ...(timeouts.length > 0 ? { timeoutMs: Math.min(...timeouts) } : {}),
    });
    const model = result.variant.model;
    const encoded = encodeV2Response(
      { name, version: model.model.version },
      v2,
      model.outputs,
      result.outputs,
    );
    tagReply(reply, request, result);
    if (encoded.headerLength !== undefined)
      reply
        .header('content-type', 'application/octet-stream')
        .header('inference-header-content-length', String(encoded.headerLength));
    else reply.header('content-type', 'application/json');
    return reply.send(encoded.body);
  };
  app.post('/v2/models/:name/infer', infer);
  app.post('/v2/models/:name/versions/:version/infer', infer);
}
