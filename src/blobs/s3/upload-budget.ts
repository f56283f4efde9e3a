/**
 * A cap on the bytes that uploads may hold in memory at once. An upload reserves what it may
 * buffer before it starts buffering and gives it back when it ends; reservations are granted in
 * the order they were asked for, so a large one is never starved by small ones. A reservation
 * larger than the cap is cut to the cap: that upload waits until it can run alone.
 */
export class UploadBudget {
  readonly capacity: number;
  #used = 0;
  #peak = 0;
  readonly #waiting: { bytes: number; grant: () => void }[] = [];

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new RangeError(`an upload budget needs a positive byte count, got ${capacity}`);
    this.capacity = capacity;
  }

  /** Bytes reserved now. */
  get used(): number {
    return this.#used;
  }

  /** The most bytes ever reserved at once. */
  get peak(): number {
    return this.#peak;
  }

  /** Waits until `bytes` (at most the capacity) can be reserved, reserves them, and returns the release. */
  async reserve(bytes: number): Promise<() => void> {
    const n = Math.min(Math.max(0, Math.ceil(bytes)), this.capacity);
    if (this.#waiting.length > 0 || this.#used + n > this.capacity)
      await new Promise<void>((grant) => this.#waiting.push({ bytes: n, grant }));
    else this.#take(n);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#used -= n;
      this.#grantWaiting();
    };
  }

  #take(n: number): void {
    this.#used += n;
    this.#peak = Math.max(this.#peak, this.#used);
  }

  #grantWaiting(): void {
    for (;;) {
      const next = this.#waiting[0];
      if (!next || this.#used + next.bytes > this.capacity) return;
      this.#waiting.shift();
      this.#take(next.bytes);
      next.grant();
    }
  }
}

/**
 * The cap every S3 store in the process shares unless given its own: 256 MiB of upload buffers.
 * With the default sizes (64 MiB threshold, 16 MiB parts, 4 in flight) a multipart upload
 * reserves 80 MiB, so three run at once and the rest wait; small objects and files sent in
 * one request stream without buffering and reserve nothing.
 */
export const UPLOAD_BUFFER_CAP = 256 * 1024 * 1024;
export const sharedUploadBudget = new UploadBudget(UPLOAD_BUFFER_CAP);
