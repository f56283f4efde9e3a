/**
 * A set of named metric values. A metric that cannot be computed on the data (ROC AUC with one
 * class, R² of a constant target) is not a NaN: it is absent from `values` and present in
 * `undefined` with the reason, so reports, gates and JSON output can say why.
 */
export interface MetricSet {
  values: Record<string, number>;
  /** Metric name → why it is undefined here. */
  undefined: Record<string, string>;
}

/** Builds a MetricSet one metric at a time. */
export class MetricSetBuilder {
  readonly #set: MetricSet = { values: {}, undefined: {} };

  /** Records `value`, or the reason when the metric is undefined (a string). */
  put(name: string, value: number | { undefined: string }): this {
    if (typeof value !== 'number') this.#set.undefined[name] = value.undefined;
    else if (Number.isFinite(value)) this.#set.values[name] = value;
    else this.#set.undefined[name] = `the value is ${value} (not a finite number)`;
    return this;
  }

  build(): MetricSet {
    return this.#set;
  }
}

/** Shorthand for an undefined metric. */
export function undefinedMetric(reason: string): { undefined: string } {
  return { undefined: reason };
}

/** The value of `name` in `set`, or a reason it has none. */
export function metricValue(set: MetricSet, name: string): { value: number } | { reason: string } {
  const value = set.values[name];
  if (value !== undefined) return { value };
  return { reason: set.undefined[name] ?? `no metric named "${name}"` };
}
