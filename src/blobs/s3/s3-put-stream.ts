import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { exactLength } from './part-reader.ts';

/** Set when the source, not the server, failed an upload, so its error reaches the caller as it is. */
export interface SourceFailure {
  error?: unknown;
}

/**
 * One PUT that streams exactly `size` bytes from `stream`. If the stream fails, the request is
 * cancelled (the SDK would otherwise wait for bytes that never come) and the stream's error is
 * thrown and recorded in `source`; S3 stores nothing for a request that did not complete.
 */
export async function putStream(
  target: { client: S3Client; bucket: string; key: string },
  stream: Readable,
  size: number,
  source: SourceFailure,
): Promise<void> {
  const body = exactLength(size, `s3://${target.bucket}/${target.key}`);
  const abort = new AbortController();
  let finished = false;
  let streamError: unknown;
  const piping = pipeline(stream, body).catch((err: unknown) => {
    if (finished) return;
    streamError = err;
    abort.abort(err);
  });
  try {
    await target.client.send(
      new PutObjectCommand({ Bucket: target.bucket, Key: target.key, Body: body, ContentLength: size }),
      { abortSignal: abort.signal },
    );
  } catch (err) {
    const cause = streamError;
    finished = true;
    body.destroy();
    await piping;
    if (cause === undefined) throw err;
    source.error = cause;
    throw cause;
  }
  finished = true;
  await piping;
}
