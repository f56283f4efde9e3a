import { hostname } from 'node:os';
import type { BlobStore } from '../../blobs/blob-store.ts';
import type { Logger } from '../../kernel/logging.ts';
import { entryLines, LineBuffer, type PredictionEntry } from './prediction-entry.ts';

export interface PredictionLogConfig {
  /** Fraction of requests logged, 0–1 (default 1). */
  sample: number;
  /** A segment is written at least this often while rows are buffered (default 1000 ms). */
  flush_interval_ms: number;
  /** Rows buffered at most; beyond it new rows are dropped and counted (default 50,000). */
  max_buffer_rows: number;
  /** A segment is written as soon as this many rows are buffered (default 10,000). */
  segment_rows: number;
}

export const DEFAULT_PREDICTION_LOG: Readonly<PredictionLogConfig> = Object.freeze({
  sample: 1,
  flush_interval_ms: 1000,
  max_buffer_rows: 50_000,
  segment_rows: 10_000,
});

/** Counters the writer reports to (the server's Prometheus metrics). */
export interface PredictionLogCounters {
  logRows: { inc(n?: number): void };
  logDropped: { inc(n?: number): void };
  logSegments: { inc(n?: number): void };
  logErrors: { inc(n?: number): void };
}

/** Rows serialized per turn of the event loop while a segment is written. */
const ROWS_PER_TURN = 1000;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * The prediction log's writer. Requests hand it their rows (`offer`, which only appends to a
 * bounded buffer and never waits); a timer and a size threshold turn the buffer into JSON-lines
 * segment files in a blob store, written asynchronously in batches, a few hundred rows per turn
 * of the event loop so serving keeps answering meanwhile. A full buffer drops rows and counts them.
 *
 * Keys: `<endpoint>/<YYYY-MM-DD>/part-<YYYYMMDDTHHMMSSmmmZ>-<host>-<pid>-<seq>.jsonl` (UTC).
 */
export class PredictionLogWriter {
  readonly store: BlobStore;
  readonly config: PredictionLogConfig;
  readonly #counters: PredictionLogCounters;
  readonly #log: Logger;
  readonly #writer: string;
  #buffer: PredictionEntry[] = [];
  #rows = 0;
  #seq = 0;
  #flushing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(store: BlobStore, config: PredictionLogConfig, counters: PredictionLogCounters, log: Logger) {
    this.store = store;
    this.config = config;
    this.#counters = counters;
    this.#log = log;
    this.#writer = `${
      hostname()
        .replace(/[^A-Za-z0-9.-]/g, '-')
        .slice(0, 40) || 'host'
    }-${process.pid}`;
    this.#timer = setInterval(() => void this.flush(), config.flush_interval_ms);
    this.#timer.unref();
  }

  /** Whether this request is logged (the sampling decision, made once per request). */
  sampled(): boolean {
    const rate = this.config.sample;
    return rate >= 1 || (rate > 0 && Math.random() < rate);
  }

  /** Buffers the entry's rows; false when the buffer is full (the rows are dropped and counted). */
  offer(entry: PredictionEntry): boolean {
    const rows = entry.inputs.rows;
    if (this.#closed || this.#rows + rows > this.config.max_buffer_rows) {
      this.#counters.logDropped.inc(rows);
      return false;
    }
    this.#buffer.push(entry);
    this.#rows += rows;
    if (this.#rows >= this.config.segment_rows && !this.#flushing) setImmediate(() => void this.flush());
    return true;
  }

  /** Rows waiting to be written. */
  get buffered(): number {
    return this.#rows;
  }

  /** Writes what is buffered now (waits for a write in progress first). */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (this.#buffer.length === 0) return;
    const entries = this.#buffer;
    this.#buffer = [];
    this.#rows = 0;
    this.#flushing = this.#write(entries).finally(() => {
      this.#flushing = undefined;
    });
    await this.#flushing;
  }

  /** Stops the timer and writes everything buffered. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.flush();
  }

  async #write(entries: PredictionEntry[]): Promise<void> {
    const groups = new Map<string, PredictionEntry[]>();
    for (const e of entries) {
      const d = new Date(e.ts);
      const key = `${e.endpoint}/${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
      const list = groups.get(key);
      if (list) list.push(e);
      else groups.set(key, [e]);
    }
    for (const [dir, list] of groups) {
      const text = new LineBuffer();
      let count = 0;
      let sinceYield = 0;
      for (const e of list) {
        entryLines(e, text.append);
        count += e.inputs.rows;
        sinceYield += e.inputs.rows;
        if (sinceYield >= ROWS_PER_TURN) {
          sinceYield = 0;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
      const now = new Date();
      const stamp = `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}T${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}${pad(now.getUTCMilliseconds(), 3)}Z`;
      const key = `${dir}/part-${stamp}-${this.#writer}-${pad(this.#seq++, 6)}.jsonl`;
      try {
        await this.store.put(key, { bytes: text.bytes });
        this.#counters.logRows.inc(count);
        this.#counters.logSegments.inc();
      } catch (err) {
        this.#counters.logErrors.inc();
        this.#counters.logDropped.inc(count);
        this.#log.warn(
          { err, key, rows: count },
          'could not write a prediction log segment; its rows are dropped',
        );
      }
    }
  }
}
