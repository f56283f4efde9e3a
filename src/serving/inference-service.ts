import { randomUUID } from 'node:crypto';
import { CairnError, errors, isCairnError } from '../kernel/errors.ts';
import type { Logger } from '../kernel/logging.ts';
import type { Table } from '../ml/table/table.ts';
import type { ModelResolver, ResolvedModel } from './model-source/model-resolver.ts';
import type { PredictionLogWriter } from './prediction-log/prediction-log-writer.ts';
import type { InferenceInput } from './protocols/inference-input.ts';
import {
  Endpoint,
  type RoutedShadow,
  type RoutedVariant,
  type RouteOptions,
  type Routing,
  routingOf,
} from './router/endpoint.ts';
import { ServedModel, type ServedModelSettings } from './runtime/served-model.ts';
import { endpointSettings, type ServingConfig, stickyHeader } from './serving-config.ts';
import type { ServingMetrics, VariantLabels } from './serving-metrics.ts';
import type { ServingStatus, VariantStatus } from './serving-status.ts';

export interface InferenceServiceDeps {
  resolver: ModelResolver;
  metrics: ServingMetrics;
  /** Where answered requests are logged (sampled); none when the log is off. */
  predictionLog?: PredictionLogWriter;
  log: Logger;
}

export interface InferOptions extends RouteOptions {
  requestId: string;
  /** performance.now() when the request arrived: deadlines and latencies count from here. */
  startedAt: number;
  /** The caller's deadline in ms, when shorter than the endpoint's request timeout. */
  timeoutMs?: number;
}

export interface InferResult {
  variant: RoutedVariant | RoutedShadow;
  /** The rows the model answered, as given to it. */
  inputs: Table;
  outputs: Table;
}

/** A configuration loaded and warmed up, not yet serving: commit it or abort it. */
export interface PreparedConfig {
  readonly id: string;
  readonly config: ServingConfig;
  /** Model versions this change loaded (and that abort unloads). */
  readonly loaded: readonly ServedModel[];
  readonly assignments: ReadonlyMap<string, ServedModel>;
}

interface Instance {
  model: ServedModel;
  key: string;
}

function instanceKey(model: ResolvedModel, settings: ServedModelSettings): string {
  return JSON.stringify([model.package_hash, model.name, model.version, settings]);
}

function slot(endpoint: string, variant: string): string {
  return `${endpoint}\u0000${variant}`;
}

/**
 * The inference server's core: the endpoints it serves and the model versions loaded for them.
 *
 * `apply(config)` makes the server serve `config` without failing a request: every model version
 * the new configuration needs is resolved, fetched, verified, loaded and warmed up while the old
 * configuration keeps serving; then each endpoint switches to its new routing table in one step;
 * then the versions no longer used finish their queued requests and are unloaded. If any version
 * fails to load, nothing changes and `apply` throws. `prepare` / `commit` / `abort` split these
 * steps for a caller that coordinates several processes.
 *
 * @example
 * const service = new InferenceService({ resolver, metrics, log });
 * await service.apply(parseServingConfig({ endpoints: [{ name: 'income', variants: [{ name: 'primary', model: 'models:/income@champion' }] }] }));
 * const { outputs } = await service.infer('income', input, { requestId, startedAt: performance.now() });
 */
export class InferenceService {
  readonly metrics: ServingMetrics;
  readonly #deps: InferenceServiceDeps;
  #endpoints = new Map<string, Endpoint>();
  #instances = new Map<string, Instance>();
  #config: ServingConfig | undefined;
  #prepared = new Map<string, PreparedConfig & { keys: Map<string, Instance> }>();
  #queue: Promise<unknown> = Promise.resolve();
  #accepting = true;
  #retiring = new Set<Promise<void>>();

  constructor(deps: InferenceServiceDeps) {
    this.#deps = deps;
    this.metrics = deps.metrics;
    deps.metrics.trackQueues(() =>
      [...this.#instances.values()].map((i) => ({
        model: i.model.model.name,
        version: i.model.model.version,
        depth: i.model.queue.depth,
      })),
    );
  }

  /** The configuration being served, if any. */
  get config(): ServingConfig | undefined {
    return this.#config;
  }

  /** Ready for traffic: a configuration is served and the server is not shutting down. */
  get ready(): boolean {
    return this.#accepting && this.#config !== undefined;
  }

  endpoint(name: string): Endpoint | undefined {
    return this.#endpoints.get(name);
  }

  get endpoints(): readonly Endpoint[] {
    return [...this.#endpoints.values()];
  }

  /** Loads, then switches to `config`; see the class comment. */
  apply(config: ServingConfig): Promise<ServingStatus> {
    return this.#serialized(async () => {
      const prepared = await this.#prepare(config);
      this.#commit(prepared);
      return this.status();
    });
  }

  /** Loads and warms up every model version `config` needs; serves nothing new yet. */
  prepare(config: ServingConfig): Promise<PreparedConfig> {
    return this.#serialized(() => this.#prepare(config));
  }

  /** Switches to a prepared configuration. */
  commit(id: string): Promise<ServingStatus> {
    return this.#serialized(async () => {
      const prepared = this.#prepared.get(id);
      if (!prepared) throw errors.notFound(`no prepared serving configuration ${id}`);
      this.#commit(prepared);
      return this.status();
    });
  }

  /** Drops a prepared configuration and unloads what it loaded. */
  abort(id: string): Promise<void> {
    return this.#serialized(async () => {
      const prepared = this.#prepared.get(id);
      if (!prepared) return;
      this.#prepared.delete(id);
      await Promise.all(prepared.loaded.map((m) => m.unload(0)));
    });
  }

  #serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #prepare(config: ServingConfig): Promise<PreparedConfig & { keys: Map<string, Instance> }> {
    const { resolver, log, metrics } = this.#deps;
    const wanted: { endpoint: string; variant: string; uri: string; settings: ServedModelSettings }[] = [];
    for (const e of config.endpoints) {
      const settings = endpointSettings(config, e);
      for (const v of [...e.variants, ...e.shadows])
        wanted.push({ endpoint: e.name, variant: v.name, uri: v.model, settings });
    }
    const resolving = new Map<string, Promise<ResolvedModel>>();
    for (const w of wanted) if (!resolving.has(w.uri)) resolving.set(w.uri, resolver.resolve(w.uri));
    const resolved = await settleAll(
      wanted.map(async (w) => {
        try {
          return await (resolving.get(w.uri) as Promise<ResolvedModel>);
        } catch (err) {
          throw withContext(err, `endpoint ${w.endpoint}, variant ${w.variant} (${w.uri})`);
        }
      }),
    );
    const keys = new Map<string, Instance>();
    const loading = new Map<string, Promise<Instance>>();
    const assignments = new Map<string, ServedModel>();
    const fresh: ServedModel[] = [];
    const settled = await Promise.allSettled(
      wanted.map(async (w, i) => {
        const model = resolved[i] as ResolvedModel;
        const key = instanceKey(model, w.settings);
        let pending = loading.get(key);
        if (!pending) {
          const current = this.#instances.get(key);
          pending = current
            ? Promise.resolve(current)
            : ServedModel.load(model, w.settings, {
                onBatch: (rows, requests) => metrics.batch(model.name, model.version, rows, requests),
              }).then((m) => {
                fresh.push(m);
                metrics.modelLoaded(model.name, model.version, m.loadSeconds);
                log.info(
                  {
                    model: model.name,
                    version: model.version,
                    hash: model.package_hash,
                    seconds: m.loadSeconds,
                  },
                  'model version loaded',
                );
                return { model: m, key };
              });
          loading.set(key, pending);
        }
        try {
          const instance = await pending;
          keys.set(key, instance);
          assignments.set(slot(w.endpoint, w.variant), instance.model);
        } catch (err) {
          throw withContext(err, `endpoint ${w.endpoint}, variant ${w.variant} (${w.uri})`);
        }
      }),
    );
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await Promise.all(fresh.map((m) => m.unload(0)));
      throw failed.reason;
    }
    const prepared = { id: randomUUID(), config, loaded: fresh, assignments, keys };
    this.#prepared.set(prepared.id, prepared);
    return prepared;
  }

  #commit(prepared: PreparedConfig & { keys: Map<string, Instance> }): void {
    this.#prepared.delete(prepared.id);
    const { config, assignments } = prepared;
    const { metrics } = this.#deps;
    const next = new Map<string, Endpoint>();
    const serving: VariantLabels[] = [];
    for (const e of config.endpoints) {
      const { limits } = endpointSettings(config, e);
      const stats = (variant: string, model: ServedModel) => {
        const labels = { endpoint: e.name, model: model.model.name, version: model.model.version, variant };
        serving.push(labels);
        return metrics.variantStats(labels);
      };
      const variants = e.variants.map((v): RoutedVariant => {
        const model = assignments.get(slot(e.name, v.name)) as ServedModel;
        return { name: v.name, weight: v.weight, model, stats: stats(v.name, model), shadow: false };
      });
      const shadows = e.shadows.map((s): RoutedShadow => {
        const model = assignments.get(slot(e.name, s.name)) as ServedModel;
        return { name: s.name, sample: s.sample, model, stats: stats(s.name, model), shadow: true };
      });
      const routing = routingOf(variants, shadows, limits, stickyHeader(e.sticky));
      const existing = this.#endpoints.get(e.name);
      if (existing) {
        existing.swap(routing);
        next.set(e.name, existing);
      } else next.set(e.name, new Endpoint(e.name, routing));
    }
    this.#endpoints = next;
    this.#config = config;
    metrics.serving(serving);
    const previous = this.#instances;
    this.#instances = prepared.keys;
    for (const [key, instance] of previous)
      if (!prepared.keys.has(key)) this.#retire(instance.model, config.limits.request_timeout_ms);
  }

  /** Unloads a version no longer routed to, once its queued and running requests are answered. */
  #retire(model: ServedModel, graceMs: number): void {
    const done = model
      .unload(graceMs + 1000)
      .catch((err: unknown) => this.#deps.log.warn({ err }, 'unloading a model version failed'))
      .finally(() => this.#retiring.delete(done));
    this.#retiring.add(done);
    this.#deps.log.info({ model: model.model.name, version: model.model.version }, 'model version draining');
  }

  /**
   * Answers one request on `endpointName`: picks the variant, checks the input against that
   * version's signature, runs it (batched), then mirrors it to the shadows and logs it, both off
   * the request's path.
   */
  async infer(endpointName: string, input: InferenceInput, options: InferOptions): Promise<InferResult> {
    const endpoint = this.#endpoints.get(endpointName);
    if (!endpoint)
      throw errors.notFound(`no model named ${endpointName} is served here`, {
        details: { model: endpointName },
        hint: `served: ${[...this.#endpoints.keys()].join(', ') || 'none'}`,
      });
    const routing = endpoint.routing;
    const variant = endpoint.route(options, routing);
    const { metrics, predictionLog } = this.#deps;
    metrics.inFlight(endpointName, 1);
    try {
      const inputs = input.toTable(variant.model.schema);
      const timeout =
        options.timeoutMs !== undefined && options.timeoutMs < routing.limits.request_timeout_ms
          ? options.timeoutMs
          : routing.limits.request_timeout_ms;
      const outputs = await variant.model.predict(inputs, options.startedAt + timeout);
      metrics.succeeded(variant.stats, (performance.now() - options.startedAt) / 1000);
      const logged = predictionLog?.sampled() ?? false;
      if (logged) this.#log(endpointName, variant, options, inputs, outputs);
      if (routing.shadows.length > 0 && !variant.shadow)
        this.#mirror(endpointName, routing, input, options, logged);
      return { variant, inputs, outputs };
    } catch (err) {
      metrics.failed(variant.stats.labels, isCairnError(err) ? err.httpStatus : 500, err);
      throw err;
    } finally {
      metrics.inFlight(endpointName, -1);
    }
  }

  #log(
    endpoint: string,
    variant: RoutedVariant | RoutedShadow,
    options: InferOptions,
    inputs: Table,
    outputs: Table,
    startedAt = options.startedAt,
  ): void {
    const m = variant.model.model;
    this.#deps.predictionLog?.offer({
      ts: Date.now(),
      request_id: options.requestId,
      endpoint,
      variant: variant.name,
      shadow: variant.shadow,
      model: m.name,
      model_version: m.version,
      package_hash: m.package_hash,
      latency_ms: performance.now() - startedAt,
      inputs,
      outputs,
    });
  }

  /** Sends a copy of the request to each shadow after the caller has its answer; outcomes are only counted and logged. */
  #mirror(
    endpoint: string,
    routing: Routing,
    input: InferenceInput,
    options: InferOptions,
    logged: boolean,
  ): void {
    setImmediate(() => {
      const { metrics, log } = this.#deps;
      for (const shadow of routing.shadows) {
        if (shadow.sample < 1 && !(Math.random() < shadow.sample)) continue;
        const startedAt = performance.now();
        let inputs: Table;
        try {
          inputs = input.toTable(shadow.model.schema);
        } catch {
          metrics.shadowDropped(endpoint, shadow.name);
          continue;
        }
        let answer: Promise<Table>;
        try {
          answer = shadow.model.predict(inputs, startedAt + routing.limits.request_timeout_ms);
        } catch (err) {
          answer = Promise.reject(err);
        }
        answer.then(
          (outputs) => {
            metrics.succeeded(shadow.stats, (performance.now() - startedAt) / 1000);
            if (logged) this.#log(endpoint, shadow, options, inputs, outputs, startedAt);
          },
          (err: unknown) => {
            const code = isCairnError(err) ? err.httpStatus : 500;
            if (code === 503) metrics.shadowDropped(endpoint, shadow.name);
            else metrics.failed(shadow.stats.labels, code);
            if (code >= 500 && code !== 503)
              log.debug({ err, endpoint, shadow: shadow.name }, 'shadow failed');
          },
        );
      }
    });
  }

  /** What is served: endpoints, variants, versions, hashes and queue depths. */
  status(): ServingStatus {
    const describe = (v: RoutedVariant | RoutedShadow): VariantStatus => {
      const m = v.model;
      return {
        name: v.name,
        role: v.shadow ? 'shadow' : 'variant',
        ...(v.shadow ? { sample: v.sample } : { weight: v.weight }),
        model: {
          uri: m.model.uri,
          name: m.model.name,
          version: m.model.version,
          package_hash: m.model.package_hash,
          verified:
            m.model.recorded_hash !== undefined ? m.model.recorded_hash === m.model.package_hash : null,
          source: m.model.source,
          loaded_at: m.loadedAt.toISOString(),
          load_seconds: Math.round(m.loadSeconds * 1000) / 1000,
          state: m.state,
          queue_depth: m.queue.depth,
        },
      };
    };
    return {
      ready: this.ready,
      endpoints: this.endpoints.map((e) => ({
        name: e.name,
        ...(e.routing.stickyHeader ? { sticky: `header:${e.routing.stickyHeader}` } : {}),
        variants: [...e.routing.variants, ...e.routing.shadows].map(describe),
      })),
    };
  }

  /** Readiness turns false: health checks say so while requests in flight finish. */
  stopAccepting(): void {
    this.#accepting = false;
  }

  /** Resolves when every queue is empty and nothing runs. */
  async drain(): Promise<void> {
    await Promise.all([...this.#instances.values()].map((i) => i.model.queue.idle()));
  }

  /** Writes what the prediction log has buffered. */
  async flushPredictionLog(): Promise<void> {
    await this.#deps.predictionLog?.flush();
  }

  /** Drains, unloads every version and flushes the prediction log. */
  async close(): Promise<void> {
    this.#accepting = false;
    await this.#queue;
    for (const id of [...this.#prepared.keys()]) await this.abort(id);
    const instances = [...this.#instances.values()];
    this.#instances = new Map();
    this.#endpoints = new Map();
    await Promise.all(instances.map((i) => i.model.unload(this.#config?.limits.request_timeout_ms ?? 5000)));
    await Promise.all(this.#retiring);
    await this.#deps.predictionLog?.close();
  }
}

function withContext(err: unknown, where: string): unknown {
  if (!isCairnError(err) || err.message.startsWith(where)) return err;
  return new CairnError(err.code, `${where}: ${err.message}`, {
    cause: err,
    ...(err.details ? { details: err.details } : {}),
    ...(err.hint ? { hint: err.hint } : {}),
  });
}

async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}
