import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { errors } from '../../kernel/errors.ts';

/** S3 refuses parts smaller than this (except the last) and uploads of more than MAX_PARTS parts. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PARTS = 10_000;

export interface MultipartTarget {
  client: S3Client;
  bucket: string;
  key: string;
  /** Parts uploading at once; the memory held is about (partsInFlight + 1) × part size. */
  partsInFlight: number;
}

/**
 * Uploads the parts `nextPart` returns (an empty buffer ends them) as one multipart upload. The
 * object appears only when the upload completes; on any failure, the source's included, the
 * upload is aborted so that neither the object nor its parts remain, and the error is rethrown.
 */
export async function uploadMultipart(
  target: MultipartTarget,
  nextPart: () => Promise<Buffer>,
): Promise<void> {
  const { client, bucket, key } = target;
  const created = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  const uploadId = created.UploadId;
  if (uploadId === undefined) throw errors.internal(`S3 gave no upload id for ${key}`);
  const parts: CompletedPart[] = [];
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const fail = (): void => {
    if (failure !== undefined) throw failure.error;
  };
  try {
    for (let partNumber = 1; ; partNumber++) {
      const body = await nextPart();
      fail();
      if (body.length === 0 && partNumber > 1) break;
      if (partNumber > MAX_PARTS)
        throw errors.invalid(`${key}: more than ${MAX_PARTS} parts`, {
          hint: 'give the stream its size, or raise the part size, so the object fits in 10,000 parts',
        });
      const upload = client
        .send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: body,
          }),
        )
        .then(
          (out) => {
            parts.push({ PartNumber: partNumber, ETag: out.ETag });
          },
          (error: unknown) => {
            failure ??= { error };
          },
        );
      running.add(upload);
      void upload.then(() => running.delete(upload));
      while (running.size >= target.partsInFlight) {
        await Promise.race(running);
        fail();
      }
    }
    await Promise.all(running);
    fail();
    parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  } catch (err) {
    // Parts still uploading would otherwise land after the abort and linger as storage.
    await Promise.allSettled(running);
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
      .catch(() => undefined);
    throw err;
  }
}
