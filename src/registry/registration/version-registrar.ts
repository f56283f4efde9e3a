import { errors, isCairnError } from '../../kernel/errors.ts';
import type { LoggedModelStore } from '../../tracking/logged-model-store.ts';
import type { TrackingStore } from '../../tracking/tracking-store.ts';
import { assertClientTag, LINEAGE_TAGS, lineageTagsOf } from '../lineage/lineage-tags.ts';
import { hashModelPackage, type PackageFiles, type PackageHash } from '../lineage/package-hash.ts';
import type { RegistryStore } from '../registry-store.ts';
import type { ModelVersion, Tag } from '../registry-types.ts';
import { requireString } from '../registry-validation.ts';
import type { ArtifactLocator } from './artifact-locator.ts';
import { RegistrationJobs } from './registration-jobs.ts';
import { artifactUriOf, downloadUriOf, type SourceStores, unlessNotFound } from './source-location.ts';
import { parseModelsUri, validateSourceModel, validateSourceRun } from './version-source.ts';

export interface VersionRegistrarDeps extends SourceStores {
  registry: RegistryStore;
  tracking: TrackingStore;
  loggedModels: LoggedModelStore;
  /** Where the files of an artifact URI can be read, to hash a package. */
  locate: ArtifactLocator;
  /** Cairn's policy for URIs a client makes the server follow; throws INVALID_ARGUMENT naming `field`. */
  checkUri?: (uri: string, field: string) => void;
  /**
   * How long `create` waits for the package hash before answering PENDING_REGISTRATION (default
   * 1,000 ms): a small package is READY in the answer, a large one does not hold the request.
   */
  registrationWaitMs?: number;
  /** Told about a registration that could not be finished because the store failed. */
  onError?: (err: unknown, version: { name: string; version: string }) => void;
}

/** A model version to create, as MLflow's CreateModelVersion request carries it. */
export interface RegisterVersionRequest {
  name: string;
  source: string;
  /** Present (even empty) means the client named a run, which matters for `models:/` sources. */
  run_id?: string;
  model_id?: string;
  run_link?: string;
  description?: string;
  tags?: Tag[];
  user_id?: string;
}

const PROMPT_TAG = 'mlflow.prompt.is_prompt';
const MODEL_VERSIONS_TAG = 'mlflow.modelVersions';

/**
 * Creates model versions the way MLflow's server does — source checks, `models:/` sources
 * resolved, the run of a logged model filled in — and records Cairn's lineage tags and the
 * package hash on each. Version tags under `cairn.` are the registrar's alone.
 */
export class VersionRegistrar {
  readonly #deps: VersionRegistrarDeps;
  readonly #jobs: RegistrationJobs;
  readonly #waitMs: number;
  #sweeping: Promise<number> | undefined;

  constructor(deps: VersionRegistrarDeps) {
    this.#deps = deps;
    this.#waitMs = Math.max(0, deps.registrationWaitMs ?? 1000);
    this.#jobs = new RegistrationJobs({
      registry: deps.registry,
      ...(deps.onError ? { onError: deps.onError } : {}),
    });
  }

  async create(request: RegisterVersionRequest): Promise<ModelVersion> {
    const { registry, tracking, loggedModels } = this.#deps;
    requireString(request.source, 'source');
    for (const tag of request.tags ?? []) assertClientTag(String(tag?.key), 'set');
    this.#deps.checkUri?.(request.source, 'source');
    let { source, run_id: runId, model_id: modelId } = await this.#resolveModelsSource(request);
    const runRoot = async (id: string) => (await unlessNotFound(tracking.getRun(id)))?.info.artifact_uri;
    const modelRoot = async (id: string) =>
      (await unlessNotFound(loggedModels.getLoggedModel(id)))?.info.artifact_uri;
    if (modelId) await validateSourceModel(source, modelId, modelRoot);
    else await validateSourceRun(source, runId ?? '', runRoot);

    const sourceModelId = source.startsWith('models:/') ? idOf(source) : undefined;
    if (sourceModelId !== undefined || (!runId && modelId)) {
      const id = (sourceModelId ?? modelId) as string;
      const logged = await unlessNotFound(loggedModels.getLoggedModel(id));
      if (!logged)
        throw errors.invalid(
          `Unable to fetch model from model URI source artifact location '${source}'. Error: Logged model with ID '${id}' not found.`,
        );
      runId ||= logged.info.source_run_id;
    }
    const run = runId ? await unlessNotFound(tracking.getRun(runId)) : undefined;
    const lineage: Tag[] = run ? lineageTagsOf(run, modelId) : [];
    if (!run && modelId) lineage.push({ key: LINEAGE_TAGS.modelId, value: modelId });
    const files = await this.#packageFiles(source);
    // The package is hashed after the version exists, off the request path, where the store can
    // record PENDING_REGISTRATION; a store that cannot gets the hash before the version.
    const pending = files !== undefined && registry.finishModelVersionRegistration !== undefined;
    if (files && !pending) {
      const hash = await hashModelPackage(files);
      if (hash) lineage.push({ key: LINEAGE_TAGS.packageHash, value: hash.digest });
    }

    const version = await registry.createModelVersion({
      name: request.name,
      source,
      ...(pending ? { status: 'PENDING_REGISTRATION' as const } : {}),
      ...(runId ? { run_id: runId } : {}),
      ...(request.run_link ? { run_link: request.run_link } : {}),
      ...(request.description ? { description: request.description } : {}),
      ...(request.user_id ? { user_id: request.user_id } : {}),
      tags: [...(request.tags ?? []), ...lineage],
    });
    if (modelId) await this.#noteVersionOnModel(modelId, version);
    if (!pending) return version;
    const job = this.#jobs.start(version.name, version.version, files, source);
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      job.then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), this.#waitMs);
      }),
    ]);
    clearTimeout(timer);
    return finished ? registry.getModelVersion(version.name, version.version) : version;
  }

  /** The hash of the files a source names, when the server can read them. */
  async packageHashOf(source: string): Promise<PackageHash | undefined> {
    const files = await this.#packageFiles(source);
    return files && hashModelPackage(files);
  }

  /**
   * Finishes (or fails) every version left PENDING_REGISTRATION that this process is not already
   * finishing — by a server that stopped or died while hashing. Resolves to how many it took up;
   * their hashes go on in the background. Called when a server starts, and now and then after.
   */
  resumePending(): Promise<number> {
    const list = this.#deps.registry.listPendingModelVersions;
    if (!list) return Promise.resolve(0);
    this.#sweeping ??= (async () => {
      let started = 0;
      for (const v of await list.call(this.#deps.registry)) {
        if (this.#jobs.has(v.name, v.version)) continue;
        const files = await this.#packageFiles(v.source).catch(() => undefined);
        void this.#jobs.start(v.name, v.version, files, v.source);
        started++;
      }
      return started;
    })().finally(() => {
      this.#sweeping = undefined;
    });
    return this.#sweeping;
  }

  /** Versions whose package this process is hashing now. */
  get pendingJobs(): number {
    return this.#jobs.active;
  }

  /** Stops hashing: versions not finished yet stay pending for the next server start. */
  async stop(): Promise<void> {
    await this.#sweeping?.catch(() => undefined);
    await this.#jobs.stop();
  }

  /** The files a source names, when this server can read them. */
  async #packageFiles(source: string): Promise<PackageFiles | undefined> {
    const uri = await artifactUriOf(this.#deps, source);
    return uri === undefined ? undefined : this.#deps.locate(uri);
  }

  downloadUri(name: string, version: string): Promise<string> {
    return downloadUriOf(this.#deps, name, version);
  }

  async setTag(name: string, version: string, tag: Tag): Promise<void> {
    assertClientTag(String(tag.key), 'set');
    await this.#deps.registry.setModelVersionTag(name, version, tag);
  }

  async deleteTag(name: string, version: string, key: string): Promise<void> {
    assertClientTag(String(key), 'delete');
    await this.#deps.registry.deleteModelVersionTag(name, version, key);
  }

  /**
   * MLflow's `_resolve_registered_model_source_lineage`: a source naming another registered
   * version becomes `models:/<name>/<version>` and inherits that version's run and logged model
   * unless the request names them (and then they must match).
   */
  async #resolveModelsSource(request: RegisterVersionRequest): Promise<{
    source: string;
    run_id: string | undefined;
    model_id: string | undefined;
  }> {
    const { source } = request;
    const plain = { source, run_id: request.run_id, model_id: request.model_id };
    if (!/^models:/i.test(source)) return plain;
    const invalid = (why: string) => errors.invalid(`Invalid model version source: '${source}'. ${why}`);
    if (source.startsWith('models://'))
      throw invalid('Registered model sources must use the active model registry.');
    let parsed: ReturnType<typeof parseModelsUri>;
    try {
      parsed = parseModelsUri(source);
    } catch {
      throw invalid('The model_id request parameter must identify the resource that contains the source.');
    }
    if (parsed.kind === 'id') return plain;
    try {
      const { registry } = this.#deps;
      const model = await registry.getRegisteredModel(parsed.name);
      if (model.tags.some((t) => t.key === PROMPT_TAG && t.value.toLowerCase() === 'true'))
        throw invalid('Prompt versions cannot be used as model version sources.');
      let number: string;
      if (parsed.kind === 'version') number = parsed.version;
      else if (parsed.kind === 'alias')
        number = (await registry.getModelVersionByAlias(parsed.name, parsed.alias)).version;
      else {
        const latest = await registry.getLatestVersions(
          parsed.name,
          parsed.kind === 'stage' ? [parsed.stage] : undefined,
        );
        if (latest.length === 0)
          throw errors.notFound(`No versions of model with name '${parsed.name}' found`);
        number = String(Math.max(...latest.map((v) => Number(v.version))));
      }
      const referenced = await registry.getModelVersion(parsed.name, number);
      const referencedModelId = referenced.tags.find((t) => t.key === LINEAGE_TAGS.modelId)?.value;
      if (
        (request.run_id !== undefined && (request.run_id || '') !== (referenced.run_id || '')) ||
        (request.model_id !== undefined && (request.model_id || '') !== (referencedModelId || ''))
      )
        throw invalid('The run_id and model_id request parameters must match the referenced model version.');
      return {
        source: `models:/${parsed.name}/${referenced.version}`,
        run_id: request.run_id !== undefined ? request.run_id : referenced.run_id,
        model_id: request.model_id !== undefined ? request.model_id : referencedModelId,
      };
    } catch (err) {
      // The source is what is wrong, not the version being created: as the registry store answers.
      if (
        isCairnError(err) &&
        (err.code === 'NOT_FOUND' || err.code === 'INVALID_ARGUMENT') &&
        !err.message.startsWith('Invalid model version source')
      )
        throw errors.invalid(
          `Unable to fetch model from model URI source artifact location '${source}'. Error: ${err.message}`,
          { cause: err, details: { source } },
        );
      throw err;
    }
  }

  /** MLflow's `set_model_versions_tags`: the logged model lists the versions made from it. */
  async #noteVersionOnModel(modelId: string, version: ModelVersion): Promise<void> {
    const { loggedModels } = this.#deps;
    const model = await loggedModels.getLoggedModel(modelId);
    const entry = { name: version.name, version: Number(version.version) };
    let list: { name: string; version: number | string }[] = [];
    const existing = model.info.tags.find((t) => t.key === MODEL_VERSIONS_TAG)?.value;
    if (existing)
      try {
        list = JSON.parse(existing);
      } catch {
        list = [];
      }
    if (!list.some((e) => e.name === entry.name && String(e.version) === String(entry.version)))
      list.push(entry);
    // Python's json.dumps spacing, so the value reads the same as MLflow's.
    const value = `[${list.map((e) => `{"name": ${JSON.stringify(e.name)}, "version": ${JSON.stringify(e.version)}}`).join(', ')}]`;
    await loggedModels.setLoggedModelTags(modelId, [{ key: MODEL_VERSIONS_TAG, value }]);
  }
}

function idOf(source: string): string | undefined {
  try {
    const parsed = parseModelsUri(source);
    return parsed.kind === 'id' ? parsed.modelId : undefined;
  } catch {
    return undefined;
  }
}
