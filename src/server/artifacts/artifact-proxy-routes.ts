import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CairnError, errors, isCairnError } from '../../kernel/errors.ts';
import { ArtifactFiles } from '../../tracking/artifacts/artifact-files.ts';
import { parseArtifactPath } from '../../tracking/artifacts/artifact-layout.ts';
import type { RouteModule } from '../create-server.ts';
import { attachmentHeaders } from './download-headers.ts';

/** Where the artifact proxy answers, as in `mlflow server --serve-artifacts`. */
export const ARTIFACT_PROXY_PREFIXES = ['/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts'];

/** What MLflow clients look for to fall back from multipart to a single PUT. */
const NO_MULTIPART = 'Multipart upload is not supported for the current artifact repository';

type Wild = { Params: { '*': string } };

const listSchema = {
  querystring: { type: 'object', properties: { path: { type: 'string' } } },
} as const;
/** The path itself is checked by parseArtifactPath, which knows what a safe artifact path is. */
const pathSchema = {
  params: { type: 'object', required: ['*'], properties: { '*': { type: 'string' } } },
} as const;

/**
 * MLflow's artifact proxy: `PUT …/artifacts/<path>` streams an upload into the artifact store
 * (at most `maxArtifactBytes`, else 413), `GET …/artifacts/<path>` streams a file back,
 * `GET …/artifacts?path=<dir>` lists a directory as `{files: [{path, is_dir, file_size}]}`,
 * `DELETE …/artifacts/<path>` removes a file or a directory. Every path is checked by
 * parseArtifactPath, so nothing outside the artifact root can be named. Bodies are never parsed
 * or buffered here, whatever their content type.
 */
export const artifactProxyRoutes: RouteModule = (app, deps, options) => {
  const files = new ArtifactFiles(deps.artifacts);
  const register = async (scope: FastifyInstance) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));

    scope.get<{ Querystring: { path?: string } }>('/artifacts', { schema: listSchema }, async (request) => {
      const { path } = request.query;
      const entries = await files.list(parseArtifactPath(path ?? '', { allowEmpty: true }));
      return entries.length > 0 ? { files: entries } : {};
    });

    scope.get<Wild>('/artifacts/*', { schema: pathSchema }, async (request, reply) => {
      const path = parseArtifactPath(request.params['*']);
      const file = await files.open(path);
      reply.headers({ ...attachmentHeaders(path.at(-1) as string), 'content-length': file.size });
      return reply.send(file.stream);
    });

    scope.put<Wild>('/artifacts/*', { schema: pathSchema }, async (request, reply) => upload(request, reply));

    scope.delete<Wild>('/artifacts/*', { schema: pathSchema }, async (request) => {
      await files.remove(parseArtifactPath(request.params['*']));
      return {};
    });

    for (const step of ['create', 'complete', 'abort'])
      scope.post<Wild>(`/mpu/${step}/*`, { schema: pathSchema }, async (request, reply) => {
        parseArtifactPath(request.params['*']);
        return reply.status(501).send({ error_code: 'NOT_IMPLEMENTED', message: NO_MULTIPART });
      });
  };

  const upload = async (request: FastifyRequest<Wild>, reply: FastifyReply) => {
    const path = parseArtifactPath(request.params['*']);
    const declared = request.headers['content-length'];
    const size = declared === undefined ? undefined : Number(declared);
    if (size !== undefined && !(Number.isSafeInteger(size) && size >= 0))
      throw errors.invalid(`invalid Content-Length ${JSON.stringify(declared)}`);
    if (size !== undefined && size > options.maxArtifactBytes)
      return tooLarge(reply, options.maxArtifactBytes);
    try {
      await files.write(path, request.raw, options.maxArtifactBytes, size);
    } catch (err) {
      if (isCairnError(err) && err.code === 'RESOURCE_EXHAUSTED' && err.details?.limit !== undefined)
        return tooLarge(reply, options.maxArtifactBytes);
      // A client that goes away mid-upload is not a server failure: nothing was stored.
      if (request.raw.destroyed && !request.raw.complete)
        throw new CairnError('CANCELLED', `the upload of '${path.join('/')}' ended before its last byte`, {
          cause: err,
        });
      throw err;
    }
    return {};
  };

  for (const prefix of ARTIFACT_PROXY_PREFIXES) app.register(register, { prefix });
};

/**
 * 413 with MLflow's body. The rest of the upload is not read: the connection is closed after
 * the answer, so a client is not kept sending gigabytes nobody stores.
 */
function tooLarge(reply: FastifyReply, limit: number): FastifyReply {
  return reply
    .status(413)
    .header('connection', 'close')
    .send({
      error_code: 'RESOURCE_EXHAUSTED',
      message: `the artifact is larger than the server's limit of ${limit} bytes (cairn server --max-artifact-size)`,
    });
}
