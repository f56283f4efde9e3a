import { errors } from '../../kernel/errors.ts';
import { ArtifactFiles } from '../../tracking/artifacts/artifact-files.ts';
import { parseArtifactPath } from '../../tracking/artifacts/artifact-layout.ts';
import { artifactRootOf } from '../artifacts/artifact-root.ts';
import type { RouteModule } from '../create-server.ts';
import { query, required, text } from './mlflow-schemas.ts';

/**
 * `GET artifacts/list?run_id=…&path=…`: the direct children of a directory of a run's artifacts,
 * with paths relative to the run's artifact root, as `{root_uri, files: [{path, is_dir,
 * file_size}]}`. Served for runs whose artifacts are in this server's artifact root (proxied
 * `mlflow-artifacts:` URIs, or file: / s3: URIs under the root); the server reads no other place.
 */
export const artifactListRoutes: RouteModule = (app, deps) => {
  const files = new ArtifactFiles(deps.artifacts);
  const root = artifactRootOf(deps);
  app.get<{ Querystring: { run_id: string; path?: string; page_token?: string } }>(
    '/artifacts/list',
    {
      schema: {
        querystring: query({ run_id: required, run_uuid: text, path: text, page_token: text }, ['run_id']),
      },
    },
    async (request) => {
      const relative = parseArtifactPath(request.query.path ?? '', { allowEmpty: true });
      const run = await deps.tracking.getRun(request.query.run_id);
      const base = root.pathOf(run.info.artifact_uri);
      if (base === undefined)
        throw errors.invalid(
          `the artifacts of run ${run.info.run_id} are at ${run.info.artifact_uri}, which this server does not serve`,
          { hint: 'read them from that location directly' },
        );
      const entries = await files.list([...base, ...relative]);
      const prefix = relative.length > 0 ? `${relative.join('/')}/` : '';
      return {
        root_uri: run.info.artifact_uri,
        ...(entries.length > 0 ? { files: entries.map((e) => ({ ...e, path: prefix + e.path })) } : {}),
      };
    },
  );
};
