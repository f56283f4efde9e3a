import type { Readable } from 'node:stream';
import { Transform, type TransformCallback } from 'node:stream';
import { errors } from '../../kernel/errors.ts';

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk);
  throw errors.invalid('a blob stream must yield bytes or strings');
}

/**
 * Reads a stream in pieces of a chosen size, for buffered and multipart uploads. An error the
 * stream raises is kept in `error`, so callers can tell a failing source from a failing server.
 */
export class PartReader {
  readonly #iter: AsyncIterator<unknown>;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #ended = false;
  error: unknown;

  constructor(stream: Readable) {
    this.#iter = stream[Symbol.asyncIterator]();
  }

  async #pull(): Promise<void> {
    let next: IteratorResult<unknown>;
    try {
      next = await this.#iter.next();
    } catch (err) {
      this.error = err;
      throw err;
    }
    if (next.done) this.#ended = true;
    else {
      const buf = toBuffer(next.value);
      this.#pending.push(buf);
      this.#pendingBytes += buf.length;
    }
  }

  /** Up to `size` bytes; fewer only at the end of the stream, an empty buffer after it. */
  async read(size: number): Promise<Buffer> {
    while (this.#pendingBytes < size && !this.#ended) await this.#pull();
    const take = Math.min(size, this.#pendingBytes);
    const head = this.#pending[0];
    let out: Buffer;
    if (head !== undefined && head.length >= take) {
      // Served as a view of what was read, without copying.
      out = head.subarray(0, take);
      if (head.length > take) this.#pending[0] = head.subarray(take);
      else this.#pending.shift();
    } else {
      out = Buffer.allocUnsafe(take);
      let filled = 0;
      while (filled < take) {
        const buf = this.#pending[0] as Buffer;
        const n = Math.min(buf.length, take - filled);
        buf.copy(out, filled, 0, n);
        filled += n;
        if (n < buf.length) this.#pending[0] = buf.subarray(n);
        else this.#pending.shift();
      }
    }
    this.#pendingBytes -= take;
    return out;
  }

  /** Puts bytes back in front of what is still to be read. */
  unshift(buf: Buffer): void {
    if (buf.length === 0) return;
    this.#pending.unshift(buf);
    this.#pendingBytes += buf.length;
  }

  /** True when the stream has no more bytes. */
  async atEnd(): Promise<boolean> {
    while (this.#pendingBytes === 0 && !this.#ended) await this.#pull();
    return this.#pendingBytes === 0;
  }

  /** Stops reading and releases the stream (destroying it if it has not ended). */
  async close(): Promise<void> {
    this.#pending = [];
    if (!this.#ended) await this.#iter.return?.().catch(() => undefined);
  }
}

/**
 * Passes bytes through and fails unless exactly `size` of them come, so a stream that lies about
 * its size fails the upload instead of hanging the request or storing a truncated object.
 */
export function exactLength(size: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      seen += chunk.length;
      if (seen > size)
        done(errors.invalid(`${what}: the stream gave more than the ${size} bytes its size said`));
      else done(null, chunk);
    },
    flush(done: TransformCallback) {
      if (seen < size)
        done(errors.invalid(`${what}: the stream gave ${seen} bytes but its size said ${size}`));
      else done();
    },
  });
}
