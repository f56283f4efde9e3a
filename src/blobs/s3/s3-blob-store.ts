import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
} from '@aws-sdk/client-s3';
import { mapConcurrent } from '../../kernel/concurrency.ts';
import { errors, fromSystemError } from '../../kernel/errors.ts';
import { assertBlobKey, assertBlobPrefix } from '../blob-key.ts';
import type { BlobInfo, BlobSource, BlobStore } from '../blob-store.ts';
import { PartReader } from './part-reader.ts';
import { fromS3Error, isNotFound, isTransient, missingBucket, type S3ErrorContext } from './s3-errors.ts';
import { MAX_PARTS, MIN_PART_SIZE, type MultipartTarget, uploadMultipart } from './s3-multipart.ts';
import { putStream, type SourceFailure } from './s3-put-stream.ts';
import { sharedUploadBudget, type UploadBudget } from './upload-budget.ts';

export interface S3BlobStoreConfig {
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing `/`; empty for the bucket's root. */
  prefix: string;
  /** An S3-compatible server such as MinIO (`http://127.0.0.1:9000`); AWS when absent. */
  endpoint?: string;
  /** Default `us-east-1`. */
  region?: string;
  /** Address the bucket in the path rather than the host name; default true when `endpoint` is set. */
  forcePathStyle?: boolean;
  /** Default: the AWS SDK's chain (AWS_* environment variables, ~/.aws, instance roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Larger objects go up in parts (default 64 MiB). */
  multipartThreshold?: number;
  /** Size of each part (default 16 MiB, at least 5 MiB). */
  partSize?: number;
  /** Tries per request, the first included (default 3). */
  maxAttempts?: number;
  /** Caps the memory uploads buffer, shared with other stores (default: the process-wide 256 MiB). */
  uploadBudget?: UploadBudget;
}

const MiB = 1024 * 1024;
const PARTS_IN_FLIGHT = 4;
/** A stream of unknown size is read this far before it reserves buffer memory: most end by then. */
const UNRESERVED_HEAD = 1 * MiB;
const HEAD_CONCURRENCY = 32;
/** Above this many keys, hasMany lists the key range instead of asking for each key. */
const LIST_ABOVE = 1000;
/** An unreachable endpoint fails in seconds; a connected socket may idle for long (slow readers of get()). */
const CONNECT_TIMEOUT_MS = 3000;
const IDLE_TIMEOUT_MS = 300_000;
const quietLogger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Objects in an S3 bucket (AWS or a compatible server such as MinIO) under `prefix`. S3 makes an
 * object visible only once its upload completes, so writes are atomic; a failed multipart upload
 * is aborted so that none of its parts linger.
 */
export class S3BlobStore implements BlobStore {
  readonly location: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #endpoint: string;
  readonly #threshold: number;
  readonly #partSize: number;
  readonly #maxAttempts: number;
  readonly #budget: UploadBudget;
  #bucketChecked: Promise<void> | undefined;

  constructor(config: S3BlobStoreConfig) {
    const prefix = config.prefix.replace(/\/+$/, '');
    assertBlobPrefix(prefix);
    const region = config.region ?? 'us-east-1';
    this.#bucket = config.bucket;
    this.#prefix = prefix;
    this.location = prefix === '' ? `s3://${config.bucket}` : `s3://${config.bucket}/${prefix}`;
    this.#endpoint = config.endpoint ?? `https://s3.${region}.amazonaws.com`;
    this.#partSize = Math.max(MIN_PART_SIZE, config.partSize ?? 16 * MiB);
    this.#threshold = Math.max(1, config.multipartThreshold ?? 64 * MiB);
    this.#maxAttempts = Math.max(1, config.maxAttempts ?? 3);
    this.#budget = config.uploadBudget ?? sharedUploadBudget;
    this.#client = new S3Client({
      region,
      ...(config.endpoint !== undefined ? { endpoint: config.endpoint } : {}),
      forcePathStyle: config.forcePathStyle ?? config.endpoint !== undefined,
      ...(config.credentials !== undefined ? { credentials: config.credentials } : {}),
      maxAttempts: this.#maxAttempts,
      requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: IDLE_TIMEOUT_MS },
      // Checksums only where S3 requires them: many S3-compatible servers reject the trailing
      // checksums the SDK adds by default, and Cairn verifies every object by its SHA-256 anyway.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // The SDK otherwise writes warnings to the console; every failure reaches the caller as an error.
      logger: quietLogger,
    });
  }

  async has(key: string): Promise<boolean> {
    return (await this.stat(key)) !== undefined;
  }

  async hasMany(keys: readonly string[]): Promise<Set<string>> {
    for (const key of keys) assertBlobKey(key);
    const present = new Set<string>();
    if (keys.length > LIST_ABOVE && (await this.#listRange(keys, present))) return present;
    await mapConcurrent(keys, HEAD_CONCURRENCY, async (key) => {
      if (await this.has(key)) present.add(key);
    });
    return present;
  }

  async stat(key: string): Promise<BlobInfo | undefined> {
    const objectKey = this.#objectKey(key);
    try {
      const out = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: objectKey }));
      return { key, size: out.ContentLength ?? 0 };
    } catch (err) {
      if (!isNotFound(err)) throw this.#error(err, key);
    }
    // HEAD answers a missing bucket with the same bodiless 404 as a missing object.
    await this.#checkBucket();
    return undefined;
  }

  async get(key: string): Promise<Readable> {
    const objectKey = this.#objectKey(key);
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: objectKey }));
      if (out.Body === undefined) throw errors.internal(`S3 answered ${this.#target(key)} without a body`);
      return out.Body as Readable;
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchKey')
        throw errors.notFound(`object ${key} is not in ${this.location}`, { cause: err, details: { key } });
      throw this.#error(err, key);
    }
  }

  async put(key: string, source: BlobSource): Promise<void> {
    const objectKey = this.#objectKey(key);
    // Errors of the source (the caller's stream, the local file) reach the caller as they are.
    const failed: SourceFailure = {};
    try {
      if ('bytes' in source) await this.#client.send(this.#putBytes(objectKey, source.bytes));
      else if ('file' in source) await this.#putFile(objectKey, source.file, failed);
      else if (source.size !== undefined && source.size <= this.#threshold)
        await putStream(this.#upload(objectKey), source.stream, source.size, failed);
      else await this.#putLargeStream(objectKey, source.stream, source.size, failed);
    } catch (err) {
      if (err === failed.error) throw 'file' in source ? fromSystemError(err, source.file) : err;
      throw this.#error(err, key);
    }
  }

  async *list(prefix = ''): AsyncIterable<BlobInfo> {
    assertBlobPrefix(prefix);
    const base = this.#prefix === '' ? '' : `${this.#prefix}/`;
    try {
      for await (const page of paginateListObjectsV2(
        { client: this.#client, pageSize: 1000 },
        { Bucket: this.#bucket, Prefix: base + prefix },
      )) {
        for (const obj of page.Contents ?? [])
          if (obj.Key !== undefined) yield { key: obj.Key.slice(base.length), size: obj.Size ?? 0 };
      }
    } catch (err) {
      throw this.#error(err, prefix);
    }
  }

  async delete(key: string): Promise<void> {
    const objectKey = this.#objectKey(key);
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: objectKey }));
    } catch (err) {
      throw this.#error(err, key);
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  #objectKey(key: string): string {
    assertBlobKey(key);
    return this.#prefix === '' ? key : `${this.#prefix}/${key}`;
  }

  #target(key: string): string {
    return `${this.location}/${key}`;
  }

  #context(key: string): S3ErrorContext {
    return { endpoint: this.#endpoint, bucket: this.#bucket, target: this.#target(key) };
  }

  #error(err: unknown, key: string): unknown {
    return fromS3Error(err, this.#context(key));
  }

  #putBytes(objectKey: string, body: Uint8Array): PutObjectCommand {
    return new PutObjectCommand({
      Bucket: this.#bucket,
      Key: objectKey,
      Body: body,
      ContentLength: body.length,
    });
  }

  /**
   * Fills `present` by listing the objects from the smallest to the largest of `keys`. Pages
   * come one after another while HEADs run HEAD_CONCURRENCY at once, so when the range holds
   * more pages than that many rounds of HEADs it gives up and returns false.
   */
  async #listRange(keys: readonly string[], present: Set<string>): Promise<boolean> {
    // Keys are ASCII, so this order is S3's (UTF-8 byte) order.
    const sorted = [...new Set(keys)].sort();
    const lo = this.#objectKey(sorted[0] as string);
    const hi = this.#objectKey(sorted.at(-1) as string);
    const wanted = new Set(sorted);
    const base = this.#prefix === '' ? 0 : this.#prefix.length + 1;
    let pagesLeft = Math.ceil(sorted.length / HEAD_CONCURRENCY);
    const input = { Bucket: this.#bucket, ...(lo.length > 1 ? { StartAfter: lo.slice(0, -1) } : {}) };
    try {
      for await (const page of paginateListObjectsV2({ client: this.#client, pageSize: 1000 }, input)) {
        for (const obj of page.Contents ?? []) {
          if (obj.Key === undefined) continue;
          if (obj.Key > hi) return true;
          const key = obj.Key.slice(base);
          if (wanted.has(key)) present.add(key);
        }
        if (page.IsTruncated && --pagesLeft <= 0) {
          present.clear();
          return false;
        }
      }
    } catch (err) {
      throw this.#error(err, '');
    }
    return true;
  }

  /** Fails with NOT_FOUND when the bucket is missing; checked until it is once found. */
  async #checkBucket(): Promise<void> {
    this.#bucketChecked ??= this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket })).then(
      () => undefined,
      (err: unknown) => {
        // Any other answer, 403 included, means the bucket exists.
        if (!isNotFound(err) && !isTransient(err)) return;
        this.#bucketChecked = undefined;
        throw isNotFound(err) ? missingBucket(err, this.#context('')) : this.#error(err, '');
      },
    );
    await this.#bucketChecked;
  }

  /** Part size for an object of `size` bytes: the configured one, or larger so it fits S3's part limit. */
  #partSizeFor(size: number | undefined): number {
    if (size === undefined) return this.#partSize;
    return Math.max(this.#partSize, Math.ceil(size / MAX_PARTS / MiB) * MiB);
  }

  /** What a multipart upload of `size` bytes may hold in memory: the parts in flight and the next. */
  #multipartBytes(size: number | undefined): number {
    return (PARTS_IN_FLIGHT + 1) * this.#partSizeFor(size);
  }

  /** Where an upload goes, for putStream and uploadMultipart. */
  #upload(objectKey: string): MultipartTarget {
    return { client: this.#client, bucket: this.#bucket, key: objectKey, partsInFlight: PARTS_IN_FLIGHT };
  }

  async #putFile(objectKey: string, file: string, source: SourceFailure): Promise<void> {
    const size = await stat(file).then(
      (st) => st.size,
      (err: unknown) => {
        throw fromSystemError(err, file);
      },
    );
    if (size <= this.#threshold) {
      // The SDK does not retry a streamed body; a file can be read again, so retry here.
      for (let attempt = 1; ; attempt++) {
        try {
          return await putStream(this.#upload(objectKey), createReadStream(file), size, source);
        } catch (err) {
          if (err === source.error || attempt >= this.#maxAttempts || !isTransient(err)) throw err;
          await sleep(100 * 2 ** attempt);
        }
      }
    }
    const partSize = this.#partSizeFor(size);
    const release = await this.#budget.reserve(this.#multipartBytes(size));
    const fh = await open(file, 'r').catch((err: unknown) => {
      release();
      throw fromSystemError(err, file);
    });
    let position = 0;
    try {
      await uploadMultipart(this.#upload(objectKey), async () => {
        const length = Math.min(partSize, size - position);
        const buf = Buffer.allocUnsafe(Math.max(0, length));
        try {
          const { bytesRead } = length > 0 ? await fh.read(buf, 0, length, position) : { bytesRead: 0 };
          if (bytesRead !== length)
            throw errors.conflict(`${file} changed while it was being uploaded`, {
              hint: 'run the command again',
            });
        } catch (err) {
          source.error = err;
          throw err;
        }
        position += length;
        return buf;
      });
    } finally {
      await fh.close();
      release();
    }
  }

  /**
   * A stream above the threshold, or of unknown size, goes up in parts. Unknown size: up to the
   * threshold is held in memory first, and a stream that ends by then becomes one PUT. Buffer
   * memory is reserved from the upload budget first (after the first MiB, for a stream of unknown
   * size, so small ones never wait for it) and given back when the upload ends.
   */
  async #putLargeStream(
    objectKey: string,
    stream: Readable,
    size: number | undefined,
    source: SourceFailure,
  ): Promise<void> {
    const reader = new PartReader(stream);
    const fromSource = <T>(p: Promise<T>): Promise<T> =>
      p.catch((err: unknown) => {
        source.error = err;
        throw err;
      });
    const read = (n: number) => fromSource(reader.read(n));
    let release: (() => void) | undefined;
    try {
      if (size === undefined) {
        const first = await read(Math.min(UNRESERVED_HEAD, this.#threshold));
        if (await fromSource(reader.atEnd())) {
          await this.#client.send(this.#putBytes(objectKey, first));
          return;
        }
        release = await this.#budget.reserve(Math.max(this.#threshold, this.#multipartBytes(undefined)));
        reader.unshift(first);
        const head = await read(this.#threshold);
        if (await fromSource(reader.atEnd())) {
          await this.#client.send(this.#putBytes(objectKey, head));
          return;
        }
        reader.unshift(head);
      } else release = await this.#budget.reserve(this.#multipartBytes(size));
      const partSize = this.#partSizeFor(size);
      let total = 0;
      await uploadMultipart(this.#upload(objectKey), async () => {
        const part = await read(partSize);
        total += part.length;
        if (size !== undefined && (total > size || (part.length === 0 && total < size))) {
          source.error = errors.invalid(
            `s3://${this.#bucket}/${objectKey}: the stream's size said ${size} bytes`,
            {
              details: { expected: size, received: total },
            },
          );
          throw source.error;
        }
        return part;
      });
    } finally {
      await reader.close();
      release?.();
    }
  }
}
