import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Tag } from '../../registry/registry-types.ts';
import { principalOf } from '../auth/install-auth.ts';
import type { RouteModule } from '../create-server.ts';
import { mlflowModelVersion } from './registry-json.ts';
import { searchFields } from './registry-model-routes.ts';
import { REGISTRY_SCHEMAS as S } from './registry-schemas.ts';
import { type RegistryServiceOptions, registryServices } from './registry-services.ts';

interface CreateVersionBody {
  name: string;
  source: string;
  run_id?: string;
  tags?: Tag[];
  run_link?: string;
  description?: string;
  model_id?: string;
}

type VersionKey = { name: string; version: string };

/**
 * MLflow's model-version endpoints: create, get, update, delete, search, set-tag, delete-tag,
 * get-download-uri, transition-stage. Creation goes through the VersionRegistrar (MLflow's source
 * checks, Cairn's lineage tags and package hash); tags under `cairn.` are the server's.
 */
export function mlflowModelVersionRoutes(options: RegistryServiceOptions = {}): RouteModule {
  return (app: FastifyInstance, deps, server) => {
    const { registry } = deps;
    const services = registryServices(deps, { registrationWaitMs: server.registrationWaitMs, ...options });
    const { registrar } = services;
    app.addHook('onReady', async () => services.attach());
    app.addHook('onClose', async () => services.detach());
    const empty = {};

    app.post<{ Body: CreateVersionBody }>(
      '/model-versions/create',
      { schema: S.createVersion },
      async (request) => {
        const b = request.body;
        const user = principalOf(request)?.name;
        const version = await registrar.create({
          name: b.name,
          source: b.source,
          ...(b.run_id !== undefined ? { run_id: b.run_id } : {}),
          ...(b.model_id ? { model_id: b.model_id } : {}),
          ...(b.run_link ? { run_link: b.run_link } : {}),
          ...(b.description ? { description: b.description } : {}),
          ...(b.tags ? { tags: b.tags.map((t) => ({ key: t.key, value: t.value ?? '' })) } : {}),
          ...(user ? { user_id: user } : {}),
        });
        return { model_version: mlflowModelVersion(version) };
      },
    );
    app.get<{ Querystring: VersionKey }>(
      '/model-versions/get',
      { schema: S.versionQuery },
      async (request) => ({
        model_version: mlflowModelVersion(
          await registry.getModelVersion(request.query.name, request.query.version),
        ),
      }),
    );
    app.patch<{ Body: VersionKey & { description?: string } }>(
      '/model-versions/update',
      { schema: S.updateVersion },
      async (request) => {
        const { name, version, description } = request.body;
        return {
          model_version: mlflowModelVersion(
            await registry.updateModelVersion(name, version, description ?? ''),
          ),
        };
      },
    );
    app.post<{ Body: VersionKey & { stage: string; archive_existing_versions?: boolean } }>(
      '/model-versions/transition-stage',
      { schema: S.transition },
      async (request) => {
        const { name, version, stage, archive_existing_versions } = request.body;
        const moved = await registry.transitionModelVersionStage(
          name,
          version,
          stage,
          archive_existing_versions ?? false,
        );
        return { model_version: mlflowModelVersion(moved) };
      },
    );
    app.delete<{ Body: VersionKey }>('/model-versions/delete', { schema: S.versionBody }, async (request) => {
      await registry.deleteModelVersion(request.body.name, request.body.version);
      return empty;
    });
    const search = async (request: FastifyRequest) => {
      const page = await registry.searchModelVersions(searchFields(request));
      return {
        ...(page.items.length > 0 ? { model_versions: page.items.map(mlflowModelVersion) } : {}),
        ...(page.next_page_token ? { next_page_token: page.next_page_token } : {}),
      };
    };
    app.get('/model-versions/search', { schema: S.searchQuery }, search);
    app.post('/model-versions/search', { schema: S.searchBody }, search);
    app.post<{ Body: VersionKey & { key: string; value: string } }>(
      '/model-versions/set-tag',
      { schema: S.versionTag },
      async (request) => {
        const { name, version, key, value } = request.body;
        await registrar.setTag(name, version, { key, value });
        return empty;
      },
    );
    app.delete<{ Body: VersionKey & { key: string } }>(
      '/model-versions/delete-tag',
      { schema: S.deleteVersionTag },
      async (request) => {
        const { name, version, key } = request.body;
        await registrar.deleteTag(name, version, key);
        return empty;
      },
    );
    app.get<{ Querystring: VersionKey }>(
      '/model-versions/get-download-uri',
      { schema: S.versionQuery },
      async (request) => ({
        artifact_uri: await registrar.downloadUri(request.query.name, request.query.version),
      }),
    );
  };
}

/** The model-version endpoints with the default services (see registryServices). */
export const registryVersionRoutes: RouteModule = mlflowModelVersionRoutes();
