import { createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { CairnError, type ErrorCode, errors, fromSystemError } from '../kernel/errors.ts';
import type { ArtifactProxy } from './artifact-upload.ts';

const PROXY_PATH = '/api/2.0/mlflow-artifacts/artifacts';

/** A directory of artifacts on this machine: where it already is, or where it was downloaded. */
export interface LocalArtifacts {
  dir: string;
  /** True when the files were downloaded into the directory given (the caller removes it). */
  downloaded: boolean;
}

/**
 * Makes the artifact directory at `artifactUri` readable here: a local one (`file:` or a path)
 * as it is; one behind a tracking server's artifact proxy (`mlflow-artifacts:`, or the proxy's
 * http(s) URL) downloaded file by file into `into`.
 */
export async function localArtifacts(
  artifactUri: string,
  into: string,
  proxy: ArtifactProxy | undefined,
): Promise<LocalArtifacts> {
  const local = artifactUri.startsWith('file:')
    ? fileURLToPath(artifactUri)
    : artifactUri.startsWith('/')
      ? artifactUri
      : undefined;
  if (local !== undefined) {
    try {
      await stat(local);
    } catch (err) {
      throw fromSystemError(err, local);
    }
    return { dir: local, downloaded: false };
  }
  let base = proxy;
  let root: string;
  if (artifactUri.startsWith('mlflow-artifacts:')) {
    if (!base)
      throw errors.precondition(`cannot read ${artifactUri}: it lives behind a tracking server`, {
        hint: 'pass --tracking-uri http://host:port (or set CAIRN_TRACKING_URI)',
      });
    let rest = artifactUri.slice('mlflow-artifacts:'.length);
    if (rest.startsWith('//')) rest = rest.slice(2).replace(/^[^/]*/, '');
    root = rest.replace(/^\/+|\/+$/g, '');
  } else if (/^https?:\/\//i.test(artifactUri) && new URL(artifactUri).pathname.includes(`${PROXY_PATH}/`)) {
    const url = new URL(artifactUri);
    const at = url.pathname.indexOf(`${PROXY_PATH}/`);
    base = { ...proxy, baseUrl: `${url.origin}${url.pathname.slice(0, at)}` };
    root = decodeURIComponent(url.pathname.slice(at + PROXY_PATH.length + 1)).replace(/\/+$/, '');
  } else
    throw errors.precondition(`cannot read artifacts at ${artifactUri} from this machine`, {
      hint: 'read them through a Cairn or MLflow server that serves them (--tracking-uri http://host:port)',
    });
  await download(base as ArtifactProxy, root, '', into);
  return { dir: into, downloaded: true };
}

async function download(proxy: ArtifactProxy, root: string, rel: string, into: string): Promise<void> {
  const dir = rel === '' ? root : `${root}/${rel}`;
  const listing = (await call(proxy, `${PROXY_PATH}?path=${encodeURIComponent(dir)}`, dir).then((r) =>
    r.json(),
  )) as {
    files?: { path: string; is_dir: boolean }[];
  };
  for (const entry of listing.files ?? []) {
    const name = entry.path.split('/').pop() as string;
    const childRel = rel === '' ? name : `${rel}/${name}`;
    if (entry.is_dir) {
      await download(proxy, root, childRel, into);
      continue;
    }
    const path = `${root}/${childRel}`;
    const response = await call(
      proxy,
      `${PROXY_PATH}/${path.split('/').map(encodeURIComponent).join('/')}`,
      path,
    );
    const target = join(into, ...childRel.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await pipeline(
      Readable.fromWeb(response.body as import('node:stream/web').ReadableStream),
      createWriteStream(target),
    );
  }
}

async function call(proxy: ArtifactProxy, path: string, what: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(`${proxy.baseUrl.replace(/\/+$/, '')}${path}`, {
      headers: proxy.authorization ? { authorization: proxy.authorization } : {},
    });
  } catch (err) {
    throw errors.unavailable(
      `cannot reach the artifact proxy at ${proxy.baseUrl}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    const code: ErrorCode =
      response.status === 404
        ? 'NOT_FOUND'
        : response.status === 401
          ? 'UNAUTHENTICATED'
          : response.status === 403
            ? 'PERMISSION_DENIED'
            : 'UNAVAILABLE';
    throw new CairnError(
      code,
      `the server could not give artifact ${what}: HTTP ${response.status} ${text.slice(0, 200)}`,
    );
  }
  return response;
}
