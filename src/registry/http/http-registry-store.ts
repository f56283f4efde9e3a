import { MlflowHttpClient, type MlflowHttpClientOptions } from '../../tracking/http/mlflow-http-client.ts';
import type { RegistryStore } from '../registry-store.ts';
import type {
  CreateModelVersionOptions,
  CreateRegisteredModelOptions,
  ModelVersion,
  Page,
  RegisteredModel,
  SearchModelVersionsOptions,
  SearchRegisteredModelsOptions,
  Tag,
} from '../registry-types.ts';

type Wire<T> = Partial<T> & Record<string, unknown>;

const PREFIX = '/api/2.0/mlflow';

/** MLflow's JSON leaves out empty lists and writes unset strings as "": back to the domain shape. */
function toVersion(w: Wire<ModelVersion>): ModelVersion {
  const v: ModelVersion = {
    name: w.name as string,
    version: String(w.version),
    creation_timestamp: Number(w.creation_timestamp ?? 0),
    last_updated_timestamp: Number(w.last_updated_timestamp ?? 0),
    current_stage: (w.current_stage ?? 'None') as ModelVersion['current_stage'],
    source: (w.source as string) ?? '',
    status: (w.status ?? 'READY') as ModelVersion['status'],
    tags: [...((w.tags as Tag[] | undefined) ?? [])].map((t) => ({ key: t.key, value: t.value ?? '' })),
    aliases: [...((w.aliases as string[] | undefined) ?? [])],
  };
  if (w.user_id) v.user_id = w.user_id as string;
  if (w.description) v.description = w.description as string;
  if (w.run_id) v.run_id = w.run_id as string;
  if (w.run_link) v.run_link = w.run_link as string;
  if (w.status_message) v.status_message = w.status_message as string;
  return v;
}

function toModel(w: Wire<RegisteredModel>): RegisteredModel {
  const m: RegisteredModel = {
    name: w.name as string,
    creation_timestamp: Number(w.creation_timestamp ?? 0),
    last_updated_timestamp: Number(w.last_updated_timestamp ?? 0),
    latest_versions: ((w.latest_versions as Wire<ModelVersion>[] | undefined) ?? []).map(toVersion),
    tags: [...((w.tags as Tag[] | undefined) ?? [])].map((t) => ({ key: t.key, value: t.value ?? '' })),
    aliases: [...((w.aliases as RegisteredModel['aliases'] | undefined) ?? [])],
  };
  if (w.description) m.description = w.description as string;
  return m;
}

function page<T>(items: T[], token: unknown): Page<T> {
  return typeof token === 'string' && token !== '' ? { items, next_page_token: token } : { items };
}

/**
 * The model registry of a remote server, over MLflow's REST API: Cairn's server (which adds
 * lineage tags and checks sources) or MLflow's. Errors are rebuilt as CairnErrors with the code
 * the server meant. `user_id` is not part of MLflow's API: the server records who called.
 *
 * Transport (retries on 429 / 503, credentials, path prefixes) is the tracking client's.
 *
 * @example
 * const registry = new HttpRegistryStore({ uri: 'http://localhost:5000', token: process.env.CAIRN_TRACKING_TOKEN });
 * const v = await registry.getModelVersionByAlias('churn', 'champion');
 */
export class HttpRegistryStore implements RegistryStore {
  readonly #http: MlflowHttpClient;

  constructor(options: MlflowHttpClientOptions) {
    this.#http = new MlflowHttpClient(options);
  }

  #get<T>(path: string, query: Record<string, string | number | readonly string[] | undefined>): Promise<T> {
    return this.#http.get<T>(`${PREFIX}/${path}`, query);
  }

  /** `idempotent` for reads sent as POST, which may go again after a broken connection. */
  #send<T>(
    method: 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body: Record<string, unknown>,
    options: { idempotent?: boolean } = {},
  ): Promise<T> {
    return this.#http.request<T>(method, `${PREFIX}/${path}`, { body, ...options });
  }

  async createRegisteredModel(
    name: string,
    options: CreateRegisteredModelOptions = {},
  ): Promise<RegisteredModel> {
    const r = await this.#send<{ registered_model: Wire<RegisteredModel> }>(
      'POST',
      'registered-models/create',
      {
        name,
        ...(options.tags ? { tags: options.tags } : {}),
        ...(options.description !== undefined ? { description: options.description } : {}),
      },
    );
    return toModel(r.registered_model);
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    const r = await this.#get<{ registered_model: Wire<RegisteredModel> }>('registered-models/get', {
      name,
    });
    return toModel(r.registered_model);
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    const r = await this.#send<{ registered_model: Wire<RegisteredModel> }>(
      'POST',
      'registered-models/rename',
      {
        name,
        new_name: newName,
      },
    );
    return toModel(r.registered_model);
  }

  async updateRegisteredModel(name: string, description: string): Promise<RegisteredModel> {
    const r = await this.#send<{ registered_model: Wire<RegisteredModel> }>(
      'PATCH',
      'registered-models/update',
      {
        name,
        description,
      },
    );
    return toModel(r.registered_model);
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    await this.#send('DELETE', 'registered-models/delete', { name });
  }

  async searchRegisteredModels(options: SearchRegisteredModelsOptions = {}): Promise<Page<RegisteredModel>> {
    const r = await this.#get<{ registered_models?: Wire<RegisteredModel>[]; next_page_token?: string }>(
      'registered-models/search',
      {
        filter: options.filter,
        max_results: options.max_results,
        order_by: options.order_by,
        page_token: options.page_token,
      },
    );
    return page((r.registered_models ?? []).map(toModel), r.next_page_token);
  }

  async getLatestVersions(name: string, stages?: string[]): Promise<ModelVersion[]> {
    const r = await this.#send<{ model_versions?: Wire<ModelVersion>[] }>(
      'POST',
      'registered-models/get-latest-versions',
      { name, ...(stages ? { stages } : {}) },
      { idempotent: true },
    );
    return (r.model_versions ?? []).map(toVersion);
  }

  async setRegisteredModelTag(name: string, tag: Tag): Promise<void> {
    await this.#send('POST', 'registered-models/set-tag', { name, key: tag.key, value: tag.value });
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    await this.#send('DELETE', 'registered-models/delete-tag', { name, key });
  }

  async setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    await this.#send('POST', 'registered-models/alias', { name, alias, version });
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    await this.#send('DELETE', 'registered-models/alias', { name, alias });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    const r = await this.#get<{ model_version: Wire<ModelVersion> }>('registered-models/alias', {
      name,
      alias,
    });
    return toVersion(r.model_version);
  }

  async createModelVersion(options: CreateModelVersionOptions): Promise<ModelVersion> {
    const r = await this.#send<{ model_version: Wire<ModelVersion> }>('POST', 'model-versions/create', {
      name: options.name,
      source: options.source,
      ...(options.run_id ? { run_id: options.run_id } : {}),
      ...(options.run_link ? { run_link: options.run_link } : {}),
      ...(options.description !== undefined ? { description: options.description } : {}),
      ...(options.tags ? { tags: options.tags } : {}),
    });
    return toVersion(r.model_version);
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    const r = await this.#get<{ model_version: Wire<ModelVersion> }>('model-versions/get', {
      name,
      version,
    });
    return toVersion(r.model_version);
  }

  async updateModelVersion(name: string, version: string, description: string): Promise<ModelVersion> {
    const r = await this.#send<{ model_version: Wire<ModelVersion> }>('PATCH', 'model-versions/update', {
      name,
      version,
      description,
    });
    return toVersion(r.model_version);
  }

  async transitionModelVersionStage(
    name: string,
    version: string,
    stage: string,
    archiveExistingVersions = false,
  ): Promise<ModelVersion> {
    const r = await this.#send<{ model_version: Wire<ModelVersion> }>(
      'POST',
      'model-versions/transition-stage',
      {
        name,
        version,
        stage,
        archive_existing_versions: archiveExistingVersions,
      },
    );
    return toVersion(r.model_version);
  }

  async deleteModelVersion(name: string, version: string): Promise<void> {
    await this.#send('DELETE', 'model-versions/delete', { name, version });
  }

  async searchModelVersions(options: SearchModelVersionsOptions = {}): Promise<Page<ModelVersion>> {
    const r = await this.#get<{ model_versions?: Wire<ModelVersion>[]; next_page_token?: string }>(
      'model-versions/search',
      {
        filter: options.filter,
        max_results: options.max_results,
        order_by: options.order_by,
        page_token: options.page_token,
      },
    );
    return page((r.model_versions ?? []).map(toVersion), r.next_page_token);
  }

  async setModelVersionTag(name: string, version: string, tag: Tag): Promise<void> {
    await this.#send('POST', 'model-versions/set-tag', { name, version, key: tag.key, value: tag.value });
  }

  async deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    await this.#send('DELETE', 'model-versions/delete-tag', { name, version, key });
  }

  async getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    const r = await this.#get<{ artifact_uri: string }>('model-versions/get-download-uri', {
      name,
      version,
    });
    return r.artifact_uri;
  }
}
