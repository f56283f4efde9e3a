import { isAbsolute, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RemoteConfig } from '../kernel/config.ts';
import { errors } from '../kernel/errors.ts';
import type { BlobStore } from './blob-store.ts';
import { FsBlobStore } from './fs/fs-blob-store.ts';

export type BlobLocation = { kind: 'fs'; root: string } | { kind: 's3'; bucket: string; prefix: string };

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses a remote URL: `/abs/dir`, `file:///abs/dir` or `s3://bucket[/prefix]`. */
export function parseBlobUrl(url: string): BlobLocation {
  if (url.startsWith('s3://')) {
    const rest = url.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
    if (!BUCKET.test(bucket))
      throw errors.invalid(`${url}: "${bucket}" is not a valid bucket name`, {
        hint: 'use s3://bucket/optional/prefix with a lowercase bucket name',
      });
    if (prefix.split('/').some((s) => s === '..' || s === '.'))
      throw errors.invalid(`${url}: the prefix must not contain "." or ".." segments`);
    return { kind: 's3', bucket, prefix };
  }
  let path: string;
  if (url.startsWith('file://')) {
    try {
      path = fileURLToPath(url);
    } catch (err) {
      throw errors.invalid(`${url} is not a valid file URL`, {
        cause: err,
        hint: 'use file:///absolute/dir',
      });
    }
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw errors.invalid(`unsupported remote URL scheme in ${url}`, {
      hint: 'use /absolute/dir, file:///absolute/dir or s3://bucket/prefix',
    });
  } else {
    path = url;
  }
  if (!isAbsolute(path))
    throw errors.invalid(`remote directory ${url} must be an absolute path`, {
      hint: 'give the full path, e.g. /srv/cairn-remote',
    });
  return { kind: 'fs', root: normalize(path) };
}

/**
 * Opens the blob store a remote's settings describe. The S3 client is loaded only for S3 remotes,
 * so working with local remotes never pays for it.
 */
export async function openBlobStore(remote: RemoteConfig): Promise<BlobStore> {
  const location = parseBlobUrl(remote.url);
  if (location.kind === 'fs') return new FsBlobStore({ root: location.root });
  const { S3BlobStore } = await import('./s3/s3-blob-store.ts');
  return new S3BlobStore({
    bucket: location.bucket,
    prefix: location.prefix,
    ...(remote.endpoint !== undefined ? { endpoint: remote.endpoint } : {}),
    ...(remote.region !== undefined ? { region: remote.region } : {}),
    ...(remote.path_style !== undefined ? { forcePathStyle: remote.path_style } : {}),
    ...(remote.access_key_id !== undefined && remote.secret_access_key !== undefined
      ? {
          credentials: {
            accessKeyId: remote.access_key_id,
            secretAccessKey: remote.secret_access_key,
            ...(remote.session_token !== undefined ? { sessionToken: remote.session_token } : {}),
          },
        }
      : {}),
  });
}
