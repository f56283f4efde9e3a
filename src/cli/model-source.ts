import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { errors } from '../kernel/errors.ts';
import { parseModelsUri } from '../registry/registration/version-source.ts';
import type { ModelVersion } from '../registry/registry-types.ts';
import { localArtifacts } from '../sdk/artifact-download.ts';
import type { TrackingStore } from '../tracking/tracking-store.ts';
import { type TargetOpts, withRegistry } from './registry-target.ts';
import type { CliSession } from './session.ts';

/** A model package made readable on this machine, and where it came from. */
export interface ModelSource {
  /** The package directory (a temp copy when it was downloaded from a server). */
  dir: string;
  /** What the user named: a directory, `models:/…` or `runs:/…`. */
  ref: string;
  /** The registry version, for a `models:/` reference. */
  version?: ModelVersion;
}

export function isModelUri(ref: string): boolean {
  return ref.startsWith('models:/') || ref.startsWith('runs:/');
}

/**
 * Runs `fn` on the package a reference names: a directory; `models:/<name>/<version>`,
 * `models:/<name>@<alias>` or `models:/<name>/latest` (through the registry the options name);
 * or `runs:/<run id>/<path>`. Files behind a server are downloaded into a temp directory that is
 * removed afterwards.
 */
export async function withModelSource<T>(
  s: CliSession,
  ref: string,
  opts: TargetOpts,
  fn: (source: ModelSource) => Promise<T>,
): Promise<T> {
  if (!isModelUri(ref)) return fn({ dir: resolve(s.cwd, ref), ref });
  return withRegistry(s, opts, async (opened) => {
    let version: ModelVersion | undefined;
    let artifactUri: string;
    if (ref.startsWith('runs:/')) {
      artifactUri = await runArtifactUri(opened.tracking, ref);
    } else {
      const parsed = parseModelsUri(ref);
      if (parsed.kind === 'version')
        version = await opened.registry.getModelVersion(parsed.name, parsed.version);
      else if (parsed.kind === 'alias')
        version = await opened.registry.getModelVersionByAlias(parsed.name, parsed.alias);
      else if (parsed.kind === 'latest' || parsed.kind === 'stage') {
        const latest = await opened.registry.getLatestVersions(
          parsed.name,
          parsed.kind === 'stage' ? [parsed.stage] : undefined,
        );
        if (latest.length === 0) throw errors.notFound(`registered model ${parsed.name} has no versions`);
        version = latest.reduce((a, b) => (Number(b.version) > Number(a.version) ? b : a));
      } else
        throw errors.invalid(
          `${ref} names a logged model; use models:/<name>/<version>, models:/<name>@<alias> or runs:/…`,
        );
      artifactUri = await opened.registry.getModelVersionDownloadUri(version.name, version.version);
      // A store that keeps the source as given answers runs:/ here; the run knows where that is.
      if (artifactUri.startsWith('runs:/')) artifactUri = await runArtifactUri(opened.tracking, artifactUri);
    }
    const temp = await mkdtemp(join(tmpdir(), 'cairn-model-'));
    try {
      const local = await localArtifacts(artifactUri, temp, opened.proxy);
      return await fn({ dir: local.dir, ref, ...(version ? { version } : {}) });
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  });
}

/** Where the artifacts `runs:/<run id>/<path>` names are. */
async function runArtifactUri(tracking: TrackingStore, uri: string): Promise<string> {
  const m = /^runs:\/([^/]+)(?:\/(.*))?$/.exec(uri);
  if (!m) throw errors.invalid(`${uri} is not a runs:/<run id>/<path> URI`);
  const run = await tracking.getRun(m[1] as string);
  const path = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  return path === '' ? run.info.artifact_uri : `${run.info.artifact_uri.replace(/\/+$/, '')}/${path}`;
}
