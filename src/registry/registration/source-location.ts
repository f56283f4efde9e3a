import { isCairnError } from '../../kernel/errors.ts';
import type { LoggedModelStore } from '../../tracking/logged-model-store.ts';
import type { TrackingStore } from '../../tracking/tracking-store.ts';
import type { RegistryStore } from '../registry-store.ts';
import { parseModelsUri } from './version-source.ts';

/** The stores a model version's source is resolved against. */
export interface SourceStores {
  registry: RegistryStore;
  tracking: TrackingStore;
  loggedModels: LoggedModelStore;
}

/** `undefined` instead of a NOT_FOUND error; other errors pass through. */
export async function unlessNotFound<T>(promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise;
  } catch (err) {
    if (isCairnError(err) && err.code === 'NOT_FOUND') return undefined;
    throw err;
  }
}

function isLoggedModelUri(uri: string): string | undefined {
  if (!uri.startsWith('models:/')) return undefined;
  try {
    const parsed = parseModelsUri(uri);
    return parsed.kind === 'id' ? parsed.modelId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The version's download URI with a logged model (`models:/m-…`) resolved to its artifact
 * location, as MLflow stores it when the version is created. The registry store resolves
 * `models:/<name>/<version>` sources itself; a logged model is the tracking side's to resolve.
 */
export async function downloadUriOf(stores: SourceStores, name: string, version: string): Promise<string> {
  const uri = await stores.registry.getModelVersionDownloadUri(name, version);
  const modelId = isLoggedModelUri(uri);
  if (modelId === undefined) return uri;
  return (await stores.loggedModels.getLoggedModel(modelId, true)).info.artifact_uri;
}

/**
 * Where the files of a version with this (already validated) source are: a logged model's or a
 * run's artifact location for `models:/m-…` and `runs:/…`, the referenced version's files for
 * `models:/<name>/<version>`, the source itself otherwise. Undefined when what it names is gone.
 */
export async function artifactUriOf(stores: SourceStores, source: string): Promise<string | undefined> {
  if (source.startsWith('models:/')) {
    const parsed = parseModelsUri(source);
    if (parsed.kind === 'id')
      return (await unlessNotFound(stores.loggedModels.getLoggedModel(parsed.modelId, true)))?.info
        .artifact_uri;
    if (parsed.kind !== 'version') return undefined;
    return unlessNotFound(downloadUriOf(stores, parsed.name, parsed.version));
  }
  const runs = /^runs:\/([^/]+)(?:\/(.*))?$/.exec(source);
  if (runs) {
    const run = await unlessNotFound(stores.tracking.getRun(runs[1] as string));
    if (!run) return undefined;
    const path = (runs[2] ?? '').replace(/^\/+|\/+$/g, '');
    return path === '' ? run.info.artifact_uri : `${run.info.artifact_uri.replace(/\/+$/, '')}/${path}`;
  }
  return source;
}
