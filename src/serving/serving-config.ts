import { errors } from '../kernel/errors.ts';

/**
 * What a Cairn inference server serves: endpoints, each with weighted variants (primary, canary,
 * A/B arms) and optional shadows, and how models run. `InferenceService.apply` makes a running
 * server match one of these; `cairn serve --config <file>` reads one from JSON or YAML.
 *
 * @example
 * const config = parseServingConfig({
 *   endpoints: [{
 *     name: 'income',
 *     sticky: 'header:x-user-id',
 *     variants: [
 *       { name: 'primary', model: 'models:/income@champion', weight: 90 },
 *       { name: 'canary', model: 'models:/income@challenger', weight: 10 },
 *     ],
 *     shadows: [{ name: 'shadow', model: 'models:/income/7' }],
 *   }],
 * });
 */
export interface ServingConfig {
  endpoints: EndpointConfig[];
  /** Defaults for every endpoint; an endpoint may override each field. */
  runtime: RuntimeConfig;
  batching: BatchingConfig;
  limits: LimitsConfig;
}

export interface EndpointConfig {
  /** The route: `/v2/models/<name>/…`, `/endpoints/<name>/invocations`. */
  name: string;
  /** At least one; requests are split between them in proportion to `weight`. */
  variants: VariantConfig[];
  /** Mirrored copies of the traffic: answered off the request path, logged, never returned. */
  shadows: ShadowConfig[];
  /** `header:<name>`: requests with the same value of that header always reach the same variant. */
  sticky?: string;
  runtime?: Partial<RuntimeConfig>;
  batching?: Partial<BatchingConfig>;
  limits?: Partial<LimitsConfig>;
}

export interface VariantConfig {
  name: string;
  /** A package directory, `file://…`, `models:/<name>/<version>` or `models:/<name>@<alias>`. */
  model: string;
  /** A share of the traffic, relative to the other variants' weights (0 = only when asked for by name). */
  weight: number;
}

export interface ShadowConfig {
  name: string;
  model: string;
  /** Fraction of the requests mirrored to this shadow, 0–1 (default 1). */
  sample: number;
}

export interface RuntimeConfig {
  /** ONNX Runtime threads per inference (default 1). */
  intra_op_threads: number;
  /** ONNX Runtime threads across independent graph branches (default 1). */
  inter_op_threads: number;
}

export interface BatchingConfig {
  /** Most rows merged into one ONNX Runtime call (default 64; 1 turns batching off). */
  max_batch_size: number;
  /**
   * Under load, how long a queued request may wait for others to join its batch, in
   * microseconds (default 0: a batch leaves as soon as the previous one returns). A request that
   * finds the model idle never waits.
   */
  max_wait_us: number;
  /** Requests waiting per model version; beyond it a request is refused at once with 503 (default 256). */
  max_queue: number;
  /**
   * When batching is on, every ONNX Runtime call gets a multiple of this many rows (the last row
   * repeated; the copies' outputs are dropped), default 8. ONNX Runtime computes some operators
   * (Sigmoid in doubles, for one) in SIMD lanes with a scalar tail, and a row's last bit can
   * depend on whether it lands in a lane or the tail; with every call a multiple of the lane
   * width, a request gets exactly the same outputs alone or in any batch. 1 turns this off.
   */
  row_alignment: number;
}

export interface LimitsConfig {
  /** Deadline of a request, from its arrival (default 5000 ms); a request still queued then gets 504. */
  request_timeout_ms: number;
  /**
   * Missing values (null, NaN, an empty CSV field) in an input the model never saw missing in
   * training: refused with 400 naming the column (false, the default) or passed to the model (true).
   */
  allow_missing: boolean;
}

export const DEFAULT_RUNTIME: Readonly<RuntimeConfig> = Object.freeze({
  intra_op_threads: 1,
  inter_op_threads: 1,
});
export const DEFAULT_BATCHING: Readonly<BatchingConfig> = Object.freeze({
  max_batch_size: 64,
  max_wait_us: 0,
  max_queue: 256,
  row_alignment: 8,
});
export const DEFAULT_LIMITS: Readonly<LimitsConfig> = Object.freeze({
  request_timeout_ms: 5000,
  allow_missing: false,
});

/** Endpoint, variant and shadow names: they appear in URLs, metric labels and log keys. */
export const SERVING_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The settings that apply to one endpoint: its overrides over the defaults. */
export function endpointSettings(
  config: ServingConfig,
  endpoint: EndpointConfig,
): { runtime: RuntimeConfig; batching: BatchingConfig; limits: LimitsConfig } {
  return {
    runtime: { ...config.runtime, ...endpoint.runtime },
    batching: { ...config.batching, ...endpoint.batching },
    limits: { ...config.limits, ...endpoint.limits },
  };
}

/** The header name of a `header:<name>` sticky setting, lower-cased as Node gives headers. */
export function stickyHeader(sticky: string | undefined): string | undefined {
  return sticky === undefined ? undefined : sticky.slice('header:'.length).toLowerCase();
}

type Json = Record<string, unknown>;

function bad(where: string, what: string, hint?: string): never {
  throw errors.invalid(`serving config: ${where} ${what}`, hint ? { hint } : undefined);
}

function object(value: unknown, where: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(where, 'must be a mapping');
  return value as Json;
}

function only(value: Json, where: string, keys: readonly string[]): void {
  for (const key of Object.keys(value))
    if (!keys.includes(key)) bad(`${where}.${key}`, 'is not a known setting', `known: ${keys.join(', ')}`);
}

function name(value: unknown, where: string): string {
  if (typeof value !== 'string' || !SERVING_NAME.test(value))
    bad(
      where,
      `must be a name of letters, digits, '.', '_' and '-' (at most 64), got ${JSON.stringify(value)}`,
    );
  return value;
}

function text(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.trim() === '') bad(where, 'must be a non-empty string');
  return value;
}

function number(value: unknown, where: string, min: number, max: number, integer: boolean): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  )
    bad(
      where,
      `must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  return value;
}

function partial<T extends object>(
  value: unknown,
  where: string,
  fields: Record<keyof T & string, (v: unknown, w: string) => unknown>,
): Partial<T> {
  const o = object(value, where);
  only(o, where, Object.keys(fields));
  const out: Record<string, unknown> = {};
  for (const [key, check] of Object.entries(fields) as [string, (v: unknown, w: string) => unknown][])
    if (o[key] !== undefined) out[key] = check(o[key], `${where}.${key}`);
  return out as Partial<T>;
}

const RUNTIME_FIELDS = {
  intra_op_threads: (v: unknown, w: string) => number(v, w, 1, 256, true),
  inter_op_threads: (v: unknown, w: string) => number(v, w, 1, 256, true),
};
const BATCHING_FIELDS = {
  max_batch_size: (v: unknown, w: string) => number(v, w, 1, 65_536, true),
  max_wait_us: (v: unknown, w: string) => number(v, w, 0, 1_000_000, true),
  max_queue: (v: unknown, w: string) => number(v, w, 1, 1_000_000, true),
  row_alignment: (v: unknown, w: string) => number(v, w, 1, 64, true),
};
const LIMITS_FIELDS = {
  request_timeout_ms: (v: unknown, w: string) => number(v, w, 1, 3_600_000, true),
  allow_missing: (v: unknown, w: string) => {
    if (typeof v !== 'boolean') bad(w, 'must be true or false');
    return v;
  },
};

function variant(value: unknown, where: string): VariantConfig {
  const o = object(value, where);
  only(o, where, ['name', 'model', 'weight']);
  return {
    name: name(o.name, `${where}.name`),
    model: text(o.model, `${where}.model`),
    weight: o.weight === undefined ? 1 : number(o.weight, `${where}.weight`, 0, 1e9, false),
  };
}

function shadow(value: unknown, where: string): ShadowConfig {
  const o = object(value, where);
  only(o, where, ['name', 'model', 'sample']);
  return {
    name: name(o.name, `${where}.name`),
    model: text(o.model, `${where}.model`),
    sample: o.sample === undefined ? 1 : number(o.sample, `${where}.sample`, 0, 1, false),
  };
}

function endpoint(value: unknown, where: string): EndpointConfig {
  const o = object(value, where);
  only(o, where, ['name', 'variants', 'shadows', 'sticky', 'runtime', 'batching', 'limits']);
  const label = name(o.name, `${where}.name`);
  const at = `endpoint ${label}`;
  if (!Array.isArray(o.variants) || o.variants.length === 0)
    bad(`${at}: variants`, 'must list at least one variant');
  const variants = o.variants.map((v, i) => variant(v, `${at}: variants[${i}]`));
  const shadows = o.shadows === undefined ? [] : o.shadows;
  if (!Array.isArray(shadows)) bad(`${at}: shadows`, 'must be a list');
  const mirrored = shadows.map((s, i) => shadow(s, `${at}: shadows[${i}]`));
  const seen = new Set<string>();
  for (const n of [...variants.map((v) => v.name), ...mirrored.map((s) => s.name)]) {
    if (seen.has(n)) bad(at, `has two variants named ${n}`, 'variant and shadow names must differ');
    seen.add(n);
  }
  if (variants.every((v) => v.weight === 0))
    bad(`${at}: variants`, 'all have weight 0', 'give at least one variant a positive weight');
  const out: EndpointConfig = { name: label, variants, shadows: mirrored };
  if (o.sticky !== undefined) {
    if (typeof o.sticky !== 'string' || !/^header:[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(o.sticky))
      bad(`${at}: sticky`, `must be header:<header name>, got ${JSON.stringify(o.sticky)}`);
    out.sticky = o.sticky;
  }
  if (o.runtime !== undefined)
    out.runtime = partial<RuntimeConfig>(o.runtime, `${at}: runtime`, RUNTIME_FIELDS);
  if (o.batching !== undefined)
    out.batching = partial<BatchingConfig>(o.batching, `${at}: batching`, BATCHING_FIELDS);
  if (o.limits !== undefined) out.limits = partial<LimitsConfig>(o.limits, `${at}: limits`, LIMITS_FIELDS);
  return out;
}

/**
 * Checks a serving config (parsed JSON or YAML) and fills in the defaults. Every problem is one
 * INVALID_ARGUMENT error naming the field.
 */
export function parseServingConfig(value: unknown): ServingConfig {
  const o = object(value, 'the document');
  only(o, 'the document', ['endpoints', 'runtime', 'batching', 'limits']);
  if (!Array.isArray(o.endpoints) || o.endpoints.length === 0)
    bad('endpoints', 'must list at least one endpoint');
  const endpoints = o.endpoints.map((e, i) => endpoint(e, `endpoints[${i}]`));
  const names = new Set<string>();
  for (const e of endpoints) {
    if (names.has(e.name)) bad('endpoints', `has two endpoints named ${e.name}`);
    names.add(e.name);
  }
  return {
    endpoints,
    runtime: {
      ...DEFAULT_RUNTIME,
      ...(o.runtime === undefined ? {} : partial<RuntimeConfig>(o.runtime, 'runtime', RUNTIME_FIELDS)),
    },
    batching: {
      ...DEFAULT_BATCHING,
      ...(o.batching === undefined ? {} : partial<BatchingConfig>(o.batching, 'batching', BATCHING_FIELDS)),
    },
    limits: {
      ...DEFAULT_LIMITS,
      ...(o.limits === undefined ? {} : partial<LimitsConfig>(o.limits, 'limits', LIMITS_FIELDS)),
    },
  };
}
