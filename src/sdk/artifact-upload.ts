import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { CairnError, errors, fromSystemError } from '../kernel/errors.ts';
import { parseArtifactPath } from '../tracking/artifacts/artifact-layout.ts';
import { localArtifactFiles } from '../tracking/artifacts/local-artifacts.ts';

/** How to reach a tracking server's artifact proxy. */
export interface ArtifactProxy {
  /** The server's base URL (the tracking URI without credentials): `http://host:5000`. */
  baseUrl: string;
  /** The Authorization header the tracking client sends. */
  authorization?: string;
}

const PROXY_PATH = '/api/2.0/mlflow-artifacts/artifacts/';

/** The artifact proxy of the server a tracking URI names, with the same credentials; undefined for a database. */
export function artifactProxyFor(target: {
  uri: string;
  token?: string;
  username?: string;
  password?: string;
}): ArtifactProxy | undefined {
  if (!/^https?:\/\//i.test(target.uri) || !URL.canParse(target.uri)) return undefined;
  const url = new URL(target.uri);
  const user = target.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const password = target.password ?? decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  const authorization = target.token
    ? `Bearer ${target.token}`
    : user !== undefined
      ? `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
      : undefined;
  return { baseUrl: url.href.replace(/\/+$/, ''), ...(authorization ? { authorization } : {}) };
}

/**
 * Stores a local file or directory among a run's artifacts, as MLflow's log_artifact does: under
 * `<artifactPath>/<name of localPath>`. A local artifact root (`file://` or a path) gets a copy
 * (a file through a temp file and a rename); an `mlflow-artifacts:` root is uploaded through the
 * server's artifact proxy. Resolves to the artifact's path inside the run.
 */
export async function uploadArtifact(
  artifactUri: string,
  localPath: string,
  artifactPath: string | undefined,
  proxy: ArtifactProxy | undefined,
): Promise<string> {
  const prefix = checkArtifactPath(artifactPath ?? '');
  const info = await stat(localPath).catch((err: unknown) => {
    throw fromSystemError(err, localPath);
  });
  const target = prefix === '' ? basename(localPath) : `${prefix}/${basename(localPath)}`;
  const local = localArtifactFiles(artifactUri);
  if (local !== undefined) {
    // The server's layout (see artifact-layout.ts): what is logged here is served under its name.
    const files = info.isDirectory() ? await listFiles(localPath) : [''];
    const paths = files.map((rel) => parseArtifactPath(rel === '' ? target : `${target}/${rel}`));
    for (const [i, rel] of files.entries()) await local.copyIn(paths[i] as string[], join(localPath, rel));
    return target;
  }
  if (/^https?:\/\//i.test(artifactUri) && new URL(artifactUri).pathname.includes(PROXY_PATH)) {
    // A proxy URL (what `mlflow server` records with --artifacts-destination and a host).
    const url = new URL(artifactUri);
    const at = url.pathname.indexOf(PROXY_PATH);
    const base = { ...proxy, baseUrl: `${url.origin}${url.pathname.slice(0, at)}` };
    const root = decodeURIComponent(url.pathname.slice(at + PROXY_PATH.length)).replace(/\/+$/, '');
    const files = info.isDirectory() ? await listFiles(localPath) : [''];
    for (const rel of files)
      await put(base, `${root}/${rel === '' ? target : `${target}/${rel}`}`, join(localPath, rel));
    return target;
  }
  if (artifactUri.startsWith('mlflow-artifacts:')) {
    if (!proxy)
      throw errors.precondition(
        `cannot upload to ${artifactUri}: the run's artifacts live behind a tracking server, and this client is not talking to one`,
        { hint: 'connect with the server URI (CAIRN_TRACKING_URI=http://host:5000)' },
      );
    const files = info.isDirectory() ? await listFiles(localPath) : [''];
    for (const rel of files)
      await put(
        proxy,
        proxyPath(artifactUri, rel === '' ? target : `${target}/${rel}`),
        join(localPath, rel),
      );
    return target;
  }
  throw errors.precondition(
    `cannot log an artifact to ${artifactUri}: only local directories and mlflow-artifacts: (a tracking server's proxy) are supported by this client`,
    { hint: 'log through `cairn server` (artifacts on its disk or S3), or use a local workspace' },
  );
}

function checkArtifactPath(path: string): string {
  const clean = path.replaceAll('\\', '/').replace(/^\/+|\/+$/g, '');
  if (path.startsWith('/') || clean.split('/').some((part) => part === '..'))
    throw errors.invalid(`artifact path ${JSON.stringify(path)} must be relative and stay inside the run`);
  return clean;
}

/** `mlflow-artifacts:/1/<run>/artifacts` or `mlflow-artifacts://host:port/1/…` → `1/<run>/artifacts/<rel>`. */
function proxyPath(artifactUri: string, rel: string): string {
  let rest = artifactUri.slice('mlflow-artifacts:'.length);
  if (rest.startsWith('//')) rest = rest.slice(2).replace(/^[^/]*/, '');
  return `${rest.replace(/^\/+|\/+$/g, '')}/${rel}`;
}

async function put(proxy: ArtifactProxy, path: string, file: string): Promise<void> {
  const url = `${proxy.baseUrl.replace(/\/+$/, '')}${PROXY_PATH}${path
    .split('/')
    .map(encodeURIComponent)
    .join('/')}`;
  const size = (await stat(file)).size;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'PUT',
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(size),
        ...(proxy.authorization ? { authorization: proxy.authorization } : {}),
      },
      body: Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
      duplex: 'half',
    } as RequestInit);
  } catch (err) {
    throw errors.unavailable(`cannot upload ${file} to ${proxy.baseUrl}: ${(err as Error).message}`, {
      cause: err,
      hint: 'check that the tracking server is running and reachable',
    });
  }
  if (!response.ok) {
    const body = await response.text().catch(() => '');
    let message = body.slice(0, 300);
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? message;
    } catch {
      // Not JSON: keep the text.
    }
    const code =
      response.status === 401
        ? 'UNAUTHENTICATED'
        : response.status === 403
          ? 'PERMISSION_DENIED'
          : response.status < 500
            ? 'INVALID_ARGUMENT'
            : 'UNAVAILABLE';
    throw new CairnError(
      code,
      `uploading ${file} to the artifact proxy failed (HTTP ${response.status}): ${message}`,
    );
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}
