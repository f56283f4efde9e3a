import { isAbsolute, posix } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArtifactPath } from './artifact-layout.ts';

const PROXY_ANCHOR = '/api/2.0/mlflow-artifacts/artifacts/';

/**
 * The server's artifact root (`file:///abs/dir` or `s3://bucket/prefix`) and which artifact
 * URIs point into it: `mlflow-artifacts:/<path>` and the proxy's http(s) URLs (as `mlflow server
 * --serve-artifacts` resolves them), and `file:` / `s3:` URIs under the root itself (the runs a
 * workspace recorded before it was served). Anything else is not this server's to read.
 */
export class ArtifactRoot {
  readonly uri: string;
  readonly #fileRoot: string | undefined;

  /** `location` is a URI, or an absolute directory (a directory blob store's location). */
  constructor(location: string) {
    this.uri = isAbsolute(location) ? pathToFileURL(location).href : location.replace(/\/+$/, '');
    this.#fileRoot = this.uri.startsWith('file:') ? fileURLToPath(this.uri).replace(/\/+$/, '') : undefined;
  }

  /**
   * The artifact path (segments relative to the root) that `uri` names, or undefined when it
   * lies elsewhere. Throws INVALID_ARGUMENT for a path that is not safe (see parseArtifactPath).
   */
  pathOf(uri: string): string[] | undefined {
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]+):/.exec(uri)?.[1]?.toLowerCase();
    if (scheme === 'mlflow-artifacts') {
      const rest = uri.slice('mlflow-artifacts:'.length);
      // mlflow-artifacts://host:port/path names the proxy of that host; only the path matters.
      const path = rest.startsWith('//') ? rest.slice(2).replace(/^[^/]*/, '') : rest;
      return parseArtifactPath(path.replace(/^\/+/, ''), { allowEmpty: true });
    }
    if (scheme === 'http' || scheme === 'https') {
      const pathname = URL.canParse(uri) ? new URL(uri).pathname : '';
      const at = `${pathname}/`.indexOf(PROXY_ANCHOR);
      if (at < 0) return undefined;
      const rest = pathname.slice(at + PROXY_ANCHOR.length).replace(/^\/+/, '');
      return parseArtifactPath(decodePath(rest), { allowEmpty: true });
    }
    if (scheme === 'file' && this.#fileRoot !== undefined) {
      const local = localPath(uri);
      if (local === undefined) return undefined;
      const path = posix.normalize(local);
      if (path === this.#fileRoot) return [];
      if (!path.startsWith(`${this.#fileRoot}/`)) return undefined;
      return parseArtifactPath(path.slice(this.#fileRoot.length + 1), { allowEmpty: true });
    }
    if (scheme === 's3' && this.uri.startsWith('s3:')) {
      const clean = uri.replace(/\/+$/, '');
      if (clean === this.uri) return [];
      if (!clean.startsWith(`${this.uri}/`)) return undefined;
      return parseArtifactPath(clean.slice(this.uri.length + 1), { allowEmpty: true });
    }
    return undefined;
  }
}

function decodePath(path: string): string {
  try {
    return path.split('/').map(decodeURIComponent).join('/');
  } catch {
    return path;
  }
}

function localPath(fileUri: string): string | undefined {
  try {
    return fileURLToPath(fileUri);
  } catch {
    return undefined;
  }
}
