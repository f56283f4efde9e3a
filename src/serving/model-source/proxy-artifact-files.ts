import { Readable } from 'node:stream';
import { CairnError, errors } from '../../kernel/errors.ts';
import type { PackageFiles } from '../../registry/lineage/package-hash.ts';

/** How to reach a tracking server's artifact proxy (`/api/2.0/mlflow-artifacts`). */
export interface ArtifactProxyTarget {
  /** The server's base URL, without credentials: `http://host:5000`. */
  baseUrl: string;
  /** The Authorization header to send. */
  authorization?: string;
}

const PROXY_PATH = '/api/2.0/mlflow-artifacts/artifacts';

/** The proxy path of an `mlflow-artifacts:` URI or a proxy URL, when it is one; undefined otherwise. */
function proxyPathOf(uri: string, target: ArtifactProxyTarget): { base: string; path: string } | undefined {
  if (uri.startsWith('mlflow-artifacts:')) {
    let rest = uri.slice('mlflow-artifacts:'.length);
    if (rest.startsWith('//')) rest = rest.slice(2).replace(/^[^/]*/, '');
    return { base: target.baseUrl, path: rest.replace(/^\/+|\/+$/g, '') };
  }
  if (/^https?:\/\//i.test(uri) && URL.canParse(uri)) {
    const url = new URL(uri);
    const at = url.pathname.indexOf(`${PROXY_PATH}/`);
    if (at < 0) return undefined;
    return {
      base: `${url.origin}${url.pathname.slice(0, at)}`,
      path: decodeURIComponent(url.pathname.slice(at + PROXY_PATH.length + 1)).replace(/\/+$/, ''),
    };
  }
  return undefined;
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

async function request(url: string, target: ArtifactProxyTarget, what: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(
      url,
      target.authorization ? { headers: { authorization: target.authorization } } : {},
    );
  } catch (err) {
    throw errors.unavailable(`cannot reach ${target.baseUrl} to fetch ${what}: ${(err as Error).message}`, {
      cause: err,
      hint: 'check that the tracking server is running and reachable',
    });
  }
  if (response.ok) return response;
  const body = await response.text().catch(() => '');
  const code =
    response.status === 401
      ? 'UNAUTHENTICATED'
      : response.status === 403
        ? 'PERMISSION_DENIED'
        : response.status === 404
          ? 'NOT_FOUND'
          : 'UNAVAILABLE';
  throw new CairnError(
    code,
    `fetching ${what} from ${target.baseUrl} failed (HTTP ${response.status}): ${body.slice(0, 200)}`,
  );
}

/**
 * The files under an artifact URI served by a tracking server's artifact proxy
 * (`mlflow-artifacts:/…`, or an http(s) URL into `/api/2.0/mlflow-artifacts/artifacts/…`), as
 * `cairn server` and `mlflow server --serve-artifacts` serve them. Undefined for other URIs.
 */
export function proxyArtifactFiles(uri: string, target: ArtifactProxyTarget): PackageFiles | undefined {
  const located = proxyPathOf(uri, target);
  if (!located) return undefined;
  const { base, path } = located;
  const listing = async (dir: string): Promise<{ path: string; is_dir?: boolean; file_size?: number }[]> => {
    const url = `${base}${PROXY_PATH}?path=${encodeURIComponent(dir)}`;
    const body = (await (await request(url, target, `the listing of ${dir}`)).json()) as {
      files?: { path: string; is_dir?: boolean; file_size?: number }[];
    };
    return body.files ?? [];
  };
  return {
    location: uri,
    async *list() {
      const pending = [''];
      while (pending.length > 0) {
        const rel = pending.shift() as string;
        for (const entry of await listing(rel === '' ? path : `${path}/${rel}`)) {
          const name = entry.path.split('/').at(-1) as string;
          const child = rel === '' ? name : `${rel}/${name}`;
          if (entry.is_dir) pending.push(child);
          else yield { path: child, size: Number(entry.file_size ?? 0) };
        }
      }
    },
    async read(file: string) {
      const response = await request(`${base}${PROXY_PATH}/${encodePath(`${path}/${file}`)}`, target, file);
      if (!response.body) return Readable.from([]);
      return Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
    },
  };
}
