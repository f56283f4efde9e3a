import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errors, isCairnError } from '../../kernel/errors.ts';
import { type Digest, digestHex, isDigest } from '../../kernel/hashing.ts';
import type { Logger } from '../../kernel/logging.ts';
import { LINEAGE_TAGS } from '../../registry/lineage/lineage-tags.ts';
import type { PackageFiles } from '../../registry/lineage/package-hash.ts';
import { parseModelsUri } from '../../registry/registration/version-source.ts';
import type { RegistryStore } from '../../registry/registry-store.ts';
import type { ModelVersion } from '../../registry/registry-types.ts';
import type { ModelResolver, ResolvedModel } from './model-resolver.ts';
import { hashDir, type PackageCache } from './package-cache.ts';

export interface PackageResolverDeps {
  /** The registry `models:/` URIs are looked up in; without one, only directories can be served. */
  registry?: RegistryStore;
  /** Where a version's files are: its artifact URI (`runs:/…` and `models:/…` sources resolved). */
  artifactUri?: (version: ModelVersion) => Promise<string>;
  /** The files under an artifact URI, when this process can read them. */
  locate?: (uri: string) => PackageFiles | undefined;
  cache: PackageCache;
  /** Relative package directories are resolved against this directory. */
  cwd: string;
  log: Logger;
}

/** A name usable as an endpoint: the directory's name with anything else replaced by '-'. */
function nameOf(dir: string): string {
  const cleaned = basename(dir)
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return cleaned || 'model';
}

/**
 * Resolves package directories (`./model`, `/abs/model`, `file:///abs/model`) in place and
 * registry versions (`models:/<name>/<version>`, `models:/<name>@<alias>`, `models:/<name>/latest`,
 * `models:/<name>/<stage>`) by fetching their files into the package cache, verified against
 * the package hash the registry recorded (`cairn.package_hash`): a mismatch refuses to load.
 */
export class PackageResolver implements ModelResolver {
  readonly #deps: PackageResolverDeps;

  constructor(deps: PackageResolverDeps) {
    this.#deps = deps;
  }

  async resolve(uri: string): Promise<ResolvedModel> {
    if (/^models:/i.test(uri)) return this.#registryVersion(uri);
    let dir: string;
    if (uri.startsWith('file:')) {
      try {
        dir = fileURLToPath(uri);
      } catch (err) {
        throw errors.invalid(`${uri} is not a valid file URL`, {
          cause: err,
          hint: 'use file:///absolute/dir',
        });
      }
    } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri))
      throw errors.invalid(`cannot serve ${uri}: give a package directory or a models:/ URI`, {
        hint: 'models:/<name>/<version>, models:/<name>@<alias>, or the path of a model package',
      });
    else dir = resolve(this.#deps.cwd, uri);
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory())
      throw errors.notFound(`no model package directory at ${uri}`, {
        details: { path: dir },
        hint: 'give the directory cairn train wrote, or a models:/ URI',
      });
    const hash = (await hashDir(dir))?.digest as Digest;
    return {
      uri,
      name: nameOf(dir),
      version: digestHex(hash).slice(0, 12),
      package_hash: hash,
      dir,
      source: 'directory',
    };
  }

  async #registryVersion(uri: string): Promise<ResolvedModel> {
    const { registry } = this.#deps;
    if (!registry)
      throw errors.precondition(`cannot serve ${uri}: no model registry is configured`, {
        hint: 'run inside a workspace, or pass --registry http://host:5000 (or set MLFLOW_TRACKING_URI)',
      });
    const parsed = parseModelsUri(uri);
    let version: ModelVersion;
    if (parsed.kind === 'id')
      throw errors.invalid(`cannot serve ${uri}: a logged model is not a registered version`, {
        hint: 'register it (cairn models, mlflow.register_model) and serve models:/<name>/<version>',
      });
    if (parsed.kind === 'version') version = await registry.getModelVersion(parsed.name, parsed.version);
    else if (parsed.kind === 'alias')
      version = await registry.getModelVersionByAlias(parsed.name, parsed.alias);
    else {
      const latest = await registry.getLatestVersions(
        parsed.name,
        parsed.kind === 'stage' ? [parsed.stage] : undefined,
      );
      const top = latest.sort((a, b) => Number(b.version) - Number(a.version))[0];
      if (!top)
        throw errors.notFound(
          `${uri}: model ${parsed.name} has no version${parsed.kind === 'stage' ? ` in stage ${parsed.stage}` : ''}`,
        );
      version = top;
    }
    const what = `${version.name} version ${version.version}`;
    const recorded = version.tags.find((t) => t.key === LINEAGE_TAGS.packageHash)?.value;
    const artifactUri = this.#deps.artifactUri
      ? await this.#deps.artifactUri(version)
      : await registry.getModelVersionDownloadUri(version.name, version.version);
    const files = this.#deps.locate?.(artifactUri);
    if (!files)
      throw errors.unavailable(
        `cannot fetch ${what}: its files are at ${artifactUri}, which this server cannot read`,
        {
          details: { uri: artifactUri },
          hint: 'register versions through cairn server (files in its artifact store), or serve a package directory',
        },
      );
    const expected = recorded !== undefined && isDigest(recorded) ? recorded : undefined;
    if (!expected)
      this.#deps.log.warn(
        { model: version.name, version: version.version },
        `${what} has no recorded package hash (${LINEAGE_TAGS.packageHash}); its files cannot be verified`,
      );
    let fetched: { dir: string; hash: Digest };
    try {
      fetched = await this.#deps.cache.fetch(files, expected, what);
    } catch (err) {
      if (isCairnError(err) && err.code === 'NOT_FOUND' && !err.message.startsWith(what))
        throw errors.notFound(`${what}: ${err.message}`, { cause: err });
      throw err;
    }
    return {
      uri,
      name: version.name,
      version: version.version,
      package_hash: fetched.hash,
      ...(expected ? { recorded_hash: expected } : {}),
      dir: fetched.dir,
      source: 'registry',
    };
  }
}
