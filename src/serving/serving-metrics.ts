import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The labels that name what answered a request. */
export interface VariantLabels {
  endpoint: string;
  model: string;
  version: string;
  variant: string;
}

/** Pre-resolved metric children for one variant of one endpoint: no label lookup per request. */
export interface VariantStats {
  readonly labels: VariantLabels;
  readonly requests: { inc(): void };
  readonly duration: { observe(seconds: number): void };
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];
const LABELS = ['endpoint', 'model', 'version', 'variant'] as const;

export interface QueueGauge {
  model: string;
  version: string;
  depth: number;
}

/**
 * The server's Prometheus metrics (prom-client), in one registry that `/metrics` renders:
 *
 * - `cairn_inference_requests_total{endpoint,model,version,variant,code}` — requests answered, by HTTP status
 * - `cairn_inference_request_duration_seconds{endpoint,model,version,variant}` — time from arrival to answer, successful requests
 * - `cairn_inference_errors_total{endpoint,model,version,variant,code}` — requests answered with an error status
 * - `cairn_inference_in_flight{endpoint}` — requests being answered
 * - `cairn_inference_batch_size{model,version}` — rows per ONNX Runtime call
 * - `cairn_inference_batch_requests{model,version}` — requests merged per ONNX Runtime call
 * - `cairn_inference_queue_depth{model,version}` — requests waiting for a batch
 * - `cairn_model_load_seconds{model,version}` — time to fetch, verify, load and warm a version
 * - `cairn_model_loaded{endpoint,model,version,variant}` — 1 for each variant being served
 * - `cairn_shadow_dropped_total{endpoint,variant}` — mirrored requests not run (shadow queue full or input refused)
 * - `cairn_prediction_log_rows_total`, `cairn_prediction_log_dropped_rows_total`,
 *   `cairn_prediction_log_segments_total`, `cairn_prediction_log_write_errors_total`
 *
 * Shadows are variants too: their requests and durations carry the shadow's name in `variant`.
 */
export class ServingMetrics {
  readonly registry: Registry;
  readonly #requests: Counter<string>;
  readonly #duration: Histogram<string>;
  readonly #errors: Counter<string>;
  readonly #inFlight: Gauge<string>;
  readonly #batchRows: Histogram<string>;
  readonly #batchRequests: Histogram<string>;
  readonly #loadSeconds: Gauge<string>;
  readonly #loaded: Gauge<string>;
  readonly #shadowDropped: Counter<string>;
  readonly logRows: Counter<string>;
  readonly logDropped: Counter<string>;
  readonly logSegments: Counter<string>;
  readonly logErrors: Counter<string>;
  #queues: () => Iterable<QueueGauge> = () => [];
  readonly #counted = new WeakSet<object>();

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.#requests = new Counter({
      name: 'cairn_inference_requests_total',
      help: 'Inference requests answered, by HTTP status code.',
      labelNames: [...LABELS, 'code'],
      registers,
    });
    this.#duration = new Histogram({
      name: 'cairn_inference_request_duration_seconds',
      help: 'Time from the arrival of a successful inference request to its answer.',
      labelNames: [...LABELS],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#errors = new Counter({
      name: 'cairn_inference_errors_total',
      help: 'Inference requests answered with an error status, by HTTP status code.',
      labelNames: [...LABELS, 'code'],
      registers,
    });
    this.#inFlight = new Gauge({
      name: 'cairn_inference_in_flight',
      help: 'Inference requests being answered.',
      labelNames: ['endpoint'],
      registers,
    });
    this.#batchRows = new Histogram({
      name: 'cairn_inference_batch_size',
      help: 'Rows per ONNX Runtime call.',
      labelNames: ['model', 'version'],
      buckets: BATCH_BUCKETS,
      registers,
    });
    this.#batchRequests = new Histogram({
      name: 'cairn_inference_batch_requests',
      help: 'Requests merged into one ONNX Runtime call.',
      labelNames: ['model', 'version'],
      buckets: BATCH_BUCKETS,
      registers,
    });
    const queues = () => this.#queues();
    new Gauge({
      name: 'cairn_inference_queue_depth',
      help: 'Requests waiting for a batch, per model version.',
      labelNames: ['model', 'version'],
      registers,
      collect() {
        this.reset();
        for (const q of queues()) this.inc({ model: q.model, version: q.version }, q.depth);
      },
    });
    this.#loadSeconds = new Gauge({
      name: 'cairn_model_load_seconds',
      help: 'Time to fetch, verify, load and warm up a model version.',
      labelNames: ['model', 'version'],
      registers,
      aggregator: 'max',
    });
    this.#loaded = new Gauge({
      name: 'cairn_model_loaded',
      help: '1 for each variant being served.',
      labelNames: [...LABELS],
      registers,
      aggregator: 'max',
    });
    this.#shadowDropped = new Counter({
      name: 'cairn_shadow_dropped_total',
      help: 'Mirrored requests a shadow did not run: its queue was full or it refused the input.',
      labelNames: ['endpoint', 'variant'],
      registers,
    });
    this.logRows = new Counter({
      name: 'cairn_prediction_log_rows_total',
      help: 'Prediction rows written to the prediction log.',
      registers,
    });
    this.logDropped = new Counter({
      name: 'cairn_prediction_log_dropped_rows_total',
      help: 'Prediction rows dropped because the log buffer was full.',
      registers,
    });
    this.logSegments = new Counter({
      name: 'cairn_prediction_log_segments_total',
      help: 'Segment files written to the prediction log.',
      registers,
    });
    this.logErrors = new Counter({
      name: 'cairn_prediction_log_write_errors_total',
      help: 'Segment writes that failed (their rows are dropped).',
      registers,
    });
  }

  /** The metric children of one variant, resolved once when it starts serving. */
  variantStats(labels: VariantLabels): VariantStats {
    return {
      labels,
      requests: this.#requests.labels({ ...labels, code: '200' }),
      duration: this.#duration.labels({ ...labels }),
    };
  }

  succeeded(stats: VariantStats, seconds: number): void {
    stats.requests.inc();
    stats.duration.observe(seconds);
  }

  /** Counts a failed request; `err`, when given, is remembered so that it is counted once. */
  failed(labels: VariantLabels, code: number, err?: unknown): void {
    const withCode = { ...labels, code: String(code) };
    this.#requests.inc(withCode);
    this.#errors.inc(withCode);
    if (typeof err === 'object' && err !== null) this.#counted.add(err);
  }

  /** Whether `failed` already counted this error. */
  counted(err: unknown): boolean {
    return typeof err === 'object' && err !== null && this.#counted.has(err);
  }

  inFlight(endpoint: string, delta: 1 | -1): void {
    this.#inFlight.inc({ endpoint }, delta);
  }

  batch(model: string, version: string, rows: number, requests: number): void {
    this.#batchRows.observe({ model, version }, rows);
    this.#batchRequests.observe({ model, version }, requests);
  }

  modelLoaded(model: string, version: string, seconds: number): void {
    this.#loadSeconds.set({ model, version }, seconds);
  }

  /** Replaces the set of variants reported as loaded. */
  serving(variants: readonly VariantLabels[]): void {
    this.#loaded.reset();
    for (const v of variants) this.#loaded.set({ ...v }, 1);
  }

  shadowDropped(endpoint: string, variant: string): void {
    this.#shadowDropped.inc({ endpoint, variant });
  }

  /** Where queue depths come from when /metrics is read. */
  trackQueues(source: () => Iterable<QueueGauge>): void {
    this.#queues = source;
  }
}
