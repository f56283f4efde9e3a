import type { FastifyInstance } from 'fastify';
import { type ModelLineage, readModelLineage } from '../../registry/lineage/model-lineage.ts';
import type { RouteModule } from '../create-server.ts';
import { type RegistryServiceOptions, registryServices } from '../mlflow/registry-services.ts';
import { LINEAGE_ROUTE_SCHEMA } from './models-schemas.ts';

/**
 * Cairn's model lineage API, mounted under /api/v1:
 * `GET /models/:name/versions/:version/lineage[?verify=true]` → ModelLineage.
 */
export function modelsApiRoutes(options: RegistryServiceOptions = {}): RouteModule {
  return (app: FastifyInstance, deps, server) => {
    const { loggedModels, registrar } = registryServices(deps, {
      registrationWaitMs: server.registrationWaitMs,
      ...options,
    });
    app.get<{ Params: { name: string; version: string }; Querystring: { verify?: boolean } }>(
      '/models/:name/versions/:version/lineage',
      { schema: LINEAGE_ROUTE_SCHEMA },
      async (request): Promise<ModelLineage> =>
        readModelLineage(
          {
            registry: deps.registry,
            tracking: deps.tracking,
            loggedModels,
            packageHashOf: (source) => registrar.packageHashOf(source),
          },
          request.params.name,
          request.params.version,
          { verify: request.query.verify ?? false },
        ),
    );
  };
}

/** The lineage API with the default services. */
export const modelsRoutes: RouteModule = modelsApiRoutes();
