import { errors } from '../../kernel/errors.ts';
import type { ServedModel } from '../runtime/served-model.ts';
import type { LimitsConfig } from '../serving-config.ts';
import type { VariantStats } from '../serving-metrics.ts';
import { TrafficSplit } from './traffic-split.ts';

/** A variant as the router sees it: its model version, weight and metric children. */
export interface RoutedVariant {
  readonly name: string;
  readonly weight: number;
  readonly model: ServedModel;
  readonly stats: VariantStats;
  readonly shadow: false;
}

/** A shadow: receives a copy of the traffic, off the request path. */
export interface RoutedShadow {
  readonly name: string;
  /** Fraction of requests mirrored, 0–1. */
  readonly sample: number;
  readonly model: ServedModel;
  readonly stats: VariantStats;
  readonly shadow: true;
}

/** One immutable routing table; an endpoint switches from one to the next in a single assignment. */
export interface Routing {
  readonly variants: readonly RoutedVariant[];
  readonly shadows: readonly RoutedShadow[];
  readonly split: TrafficSplit;
  /** The header whose value picks the variant (lower case), when the endpoint is sticky. */
  readonly stickyHeader?: string;
  readonly limits: LimitsConfig;
}

export function routingOf(
  variants: readonly RoutedVariant[],
  shadows: readonly RoutedShadow[],
  limits: LimitsConfig,
  stickyHeader: string | undefined,
): Routing {
  return {
    variants,
    shadows,
    split: new TrafficSplit(variants.map((v) => v.weight)),
    limits,
    ...(stickyHeader ? { stickyHeader } : {}),
  };
}

export interface RouteOptions {
  /** The sticky header's value, when the request has one. */
  stickyKey?: string;
  /** A variant asked for by name (a shadow's name works too). */
  variant?: string;
  /** A model version asked for (the V2 `/versions/{v}` path). */
  version?: string;
}

/**
 * A served endpoint: a name and its current routing table. `route` picks a variant by weight
 * (from the sticky key's hash when there is one, at random otherwise), or the variant or version
 * the request names. `swap` replaces the table atomically: a request routed before the swap
 * finishes on the model version it was routed to.
 */
export class Endpoint {
  readonly name: string;
  #routing: Routing;

  constructor(name: string, routing: Routing) {
    this.name = name;
    this.#routing = routing;
  }

  get routing(): Routing {
    return this.#routing;
  }

  swap(routing: Routing): Routing {
    const old = this.#routing;
    this.#routing = routing;
    return old;
  }

  route(options: RouteOptions, routing: Routing = this.#routing): RoutedVariant | RoutedShadow {
    if (options.variant !== undefined) {
      const named =
        routing.variants.find((v) => v.name === options.variant) ??
        routing.shadows.find((s) => s.name === options.variant);
      if (!named)
        throw errors.notFound(
          `endpoint ${this.name} has no variant ${options.variant}: it has ${[...routing.variants, ...routing.shadows].map((v) => v.name).join(', ')}`,
        );
      return named;
    }
    if (options.version !== undefined) {
      const named =
        routing.variants.find((v) => v.model.model.version === options.version) ??
        routing.shadows.find((s) => s.model.model.version === options.version);
      if (!named)
        throw errors.notFound(
          `endpoint ${this.name} does not serve version ${options.version}: it serves ${[...new Set([...routing.variants, ...routing.shadows].map((v) => v.model.model.version))].join(', ')}`,
        );
      return named;
    }
    const variants = routing.variants;
    if (variants.length === 1) return variants[0] as RoutedVariant;
    const index =
      options.stickyKey !== undefined ? routing.split.forKey(options.stickyKey) : routing.split.random();
    return variants[index] as RoutedVariant;
  }
}
