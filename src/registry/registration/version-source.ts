import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errors } from '../../kernel/errors.ts';

/**
 * MLflow's server-side checks of a model version's `source` (mlflow/server/handlers.py,
 * `_validate_source_run` and `_validate_source_model`), with its messages: a source that points
 * into run or logged-model artifacts must name the run (`run_id`) or model (`model_id`) that
 * holds it, and no source may climb out of a directory with `..`.
 */

/** Python's urllib.parse.urlparse, which MLflow's checks are written against: scheme, netloc, path. */
export function splitUri(uri: string): { scheme: string; netloc: string; path: string } {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(uri);
  const scheme = m ? (m[1] as string).toLowerCase() : '';
  const rest = (m ? (m[2] as string) : uri).split(/[?#]/, 1)[0] as string;
  if (!rest.startsWith('//')) return { scheme, netloc: '', path: rest };
  const end = rest.indexOf('/', 2);
  return end < 0
    ? { scheme, netloc: rest.slice(2), path: '' }
    : { scheme, netloc: rest.slice(2, end), path: rest.slice(end) };
}

/** A parsed `models:/…` URI (MLflow's `_parse_model_uri`). */
export type ModelsUri =
  | { kind: 'id'; modelId: string }
  | { kind: 'version'; name: string; version: string }
  | { kind: 'alias'; name: string; alias: string }
  | { kind: 'stage'; name: string; stage: string }
  | { kind: 'latest'; name: string };

/** What the checks need to know about a run or a logged model: where its artifacts are. */
export type ArtifactRootOf = (id: string) => Promise<string | undefined>;

const improper = (uri: string) =>
  errors.invalid(
    `Not a proper models:/ URI: ${uri}. Models URIs must be of the form 'models:/name/suffix' or ` +
      "'models:/name@alias' where suffix is a version, stage, or the string 'latest' and where alias " +
      'is a registered model alias. Only one of suffix or alias can be defined at a time.',
  );

export function parseModelsUri(uri: string): ModelsUri {
  const { scheme, path } = splitUri(uri);
  if (scheme !== 'models' || !path.startsWith('/') || path.length <= 1) throw improper(uri);
  const parts = path.replace(/^\/+/, '').split('/');
  if (parts.length > 2 || (parts[0] as string).trim() === '') throw improper(uri);
  const [name, suffix] = parts as [string, string | undefined];
  if (suffix !== undefined) {
    if (suffix.trim() === '') throw improper(uri);
    if (/^\d+$/.test(suffix)) return { kind: 'version', name, version: suffix };
    if (suffix.toLowerCase() === 'latest') return { kind: 'latest', name };
    return { kind: 'stage', name, stage: suffix };
  }
  const at = name.lastIndexOf('@');
  if (at >= 0) {
    const alias = name.slice(at + 1);
    if (alias.trim() === '') throw improper(uri);
    return { kind: 'alias', name: name.slice(0, at), alias };
  }
  return { kind: 'id', modelId: name };
}

export function isLocalUri(uri: string): boolean {
  const { scheme, netloc } = splitUri(uri);
  if (scheme === '') return true;
  if (scheme !== 'file') return false;
  const host = netloc.replace(/:\d*$/, '');
  if (host && host !== '.' && !host.startsWith('localhost') && !host.startsWith('127.0.0.1'))
    throw errors.invalid(
      `${uri} is not a valid remote uri. For remote access use a scheme other than file:.`,
    );
  return true;
}

function localPath(uri: string): string {
  if (splitUri(uri).scheme === '') return resolve(uri);
  try {
    return resolve(fileURLToPath(uri.replace(/^file:\/\/(localhost|127\.0\.0\.1)(:\d+)?\//, 'file:///')));
  } catch {
    return resolve(splitUri(uri).path);
  }
}

function unquoteAll(value: string, plus: boolean): string {
  let current = value;
  for (;;) {
    let next: string;
    try {
      next = decodeURIComponent(plus ? current.replaceAll('+', ' ') : current);
    } catch {
      return current;
    }
    if (next === current) return current;
    current = next;
  }
}

/** MLflow's `_validate_non_local_source_contains_relative_paths`. */
export function assertNoRelativePaths(source: string): void {
  const unquoted = unquoteAll(source, true);
  const path = splitUri(unquoted).path.replace(/\/+$/, '').replace(/\/+/g, '/');
  const resolved = path === '' ? '' : resolve('/', path);
  if (path.includes('\u0000') || unquoted.split('/').includes('..') || (path !== '' && resolved !== path))
    throw errors.invalid(
      `Invalid model version source: '${source}'. If supplying a source as an http, https, local file ` +
        'path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without ' +
        'relative path references present. Please provide an absolute path.',
    );
}

function mustIdentify(source: string, field: 'run_id' | 'model_id') {
  return errors.invalid(
    `Invalid model version source: '${source}'. The ${field} request parameter must identify the ` +
      'resource that contains the source.',
  );
}

function parts(uri: string): { scheme: string; netloc: string; segments: string[] } {
  const { scheme, netloc, path } = splitUri(uri);
  return {
    scheme,
    netloc: netloc.toLowerCase(),
    segments: path
      .split('/')
      .filter((s) => s !== '')
      .map((s) => unquoteAll(s, false)),
  };
}

/** MLflow's `_is_uri_within_root`: same scheme and authority, and the root's path segments first. */
export function isUriWithinRoot(source: string, root: string): boolean {
  const s = parts(source);
  const r = parts(root);
  return (
    s.scheme === r.scheme &&
    s.netloc === r.netloc &&
    r.segments.length > 0 &&
    r.segments.every((segment, i) => s.segments[i] === segment)
  );
}

function isArtifactProxySource(source: string): boolean {
  const { scheme, segments } = parts(source);
  if (scheme === 'mlflow-artifacts') return true;
  const route = ['api', '2.0', 'mlflow-artifacts', 'artifacts'];
  return (
    (scheme === 'http' || scheme === 'https') &&
    segments.some((_, i) => route.every((r, j) => segments[i + j] === r))
  );
}

async function localSourceInside(source: string, id: string, rootOf: ArtifactRootOf): Promise<boolean> {
  if (!id) return false;
  const root = await rootOf(id);
  if (root === undefined || !isLocalUri(root)) return false;
  const dir = localPath(root);
  const path = localPath(source);
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/** MLflow's `_validate_source_run`: `runOf` gives a run's artifact URI, undefined for an unknown run. */
export async function validateSourceRun(
  source: string,
  runId: string,
  runRoot: ArtifactRootOf,
): Promise<void> {
  if (isLocalUri(source)) {
    if (await localSourceInside(source, runId, runRoot)) return;
    throw errors.invalid(
      `Invalid model version source: '${source}'. To use a local path as a model version source, the ` +
        'run_id request parameter has to be specified and the local path has to be contained within ' +
        'the artifact directory of the run specified by the run_id.',
    );
  }
  assertNoRelativePaths(source);
  const { scheme, netloc } = splitUri(source);
  if (scheme === 'runs') {
    const sourceRun = splitUri(source).path.replace(/^\//, '').split('/')[0];
    if (netloc || !runId || sourceRun !== runId) throw mustIdentify(source, 'run_id');
    return;
  }
  if (scheme === 'models' && (netloc || parseModelsUri(source).kind === 'id'))
    throw mustIdentify(source, 'model_id');
  if (isArtifactProxySource(source)) {
    const root = runId ? await runRoot(runId) : undefined;
    if (root === undefined || !isUriWithinRoot(source, root)) throw mustIdentify(source, 'run_id');
  }
}

/** MLflow's `_validate_source_model`: `modelRoot` gives a logged model's artifact URI. */
export async function validateSourceModel(
  source: string,
  modelId: string,
  modelRoot: ArtifactRootOf,
): Promise<void> {
  if (isLocalUri(source)) {
    if (await localSourceInside(source, modelId, modelRoot)) return;
    throw errors.invalid(
      `Invalid model version source: '${source}'. To use a local path as a model version source, the ` +
        'model_id request parameter has to be specified and the local path has to be contained within ' +
        'the artifact directory of the run specified by the model_id.',
    );
  }
  assertNoRelativePaths(source);
  const { scheme, netloc } = splitUri(source);
  if (scheme === 'models') {
    if (netloc) throw mustIdentify(source, 'model_id');
    const parsed = parseModelsUri(source);
    if (parsed.kind === 'id') {
      if (parsed.modelId === modelId) return;
      throw mustIdentify(source, 'model_id');
    }
  }
  if (scheme === 'runs') throw mustIdentify(source, 'model_id');
  if (isArtifactProxySource(source)) {
    const root = modelId ? await modelRoot(modelId) : undefined;
    if (root === undefined || !isUriWithinRoot(source, root)) throw mustIdentify(source, 'model_id');
  }
}
