import type { ColumnKind } from '../columns.ts';
import { unionSize } from './aligned-counts.ts';
import type { ColumnSummary } from './column-summary.ts';
import type { DriftMethodName } from './drift-methods.ts';

/** Up to this many reference values, Evidently's default tests are hypothesis tests with p-values. */
export const SMALL_REFERENCE_MAX_ROWS = 1000;

/**
 * Evidently's default test for a column:
 * - reference of at most 1,000 values: KS for numbers with more than 5 distinct values (over both
 *   samples), otherwise chi-square, or the z-test when there are only two values;
 * - larger reference: normed Wasserstein for numbers with more than 5 distinct values, otherwise
 *   Jensen–Shannon; Jensen–Shannon for categories.
 * Counts are of non-missing values.
 */
export function defaultMethod(reference: ColumnSummary, current: ColumnSummary): DriftMethodName {
  const distinct = unionSizeAtMost(reference, current, 5);
  if (reference.count <= SMALL_REFERENCE_MAX_ROWS) {
    if (reference.kind === 'numeric' && distinct > 5) return 'ks';
    return distinct > 2 ? 'chisquare' : 'z';
  }
  if (reference.kind === 'numeric' && distinct > 5) return 'wasserstein';
  return 'jensenshannon';
}

/** The union's distinct count, or any number above `limit` when it is known to exceed it. */
function unionSizeAtMost(reference: ColumnSummary, current: ColumnSummary, limit: number): number {
  if (reference.kind === 'numeric' && current.kind === 'numeric') {
    const bound = Math.max(reference.distinct, current.distinct);
    if (bound > limit) return bound;
  }
  return unionSize(reference, current);
}

/** Per-column settings; see DriftOptions for the order in which they apply. */
export interface ColumnChoice {
  method?: DriftMethodName;
  threshold?: number;
}

/** The resolution order of Evidently's DataDriftPreset: per column, then per kind, then for all. */
export function resolveChoice(
  name: string,
  kind: ColumnKind,
  settings: {
    method?: DriftMethodName;
    numericMethod?: DriftMethodName;
    categoricalMethod?: DriftMethodName;
    threshold?: number;
    numericThreshold?: number;
    categoricalThreshold?: number;
    perColumn?: Record<string, ColumnChoice>;
  },
): ColumnChoice {
  const own = settings.perColumn?.[name];
  const kindMethod = kind === 'numeric' ? settings.numericMethod : settings.categoricalMethod;
  const kindThreshold = kind === 'numeric' ? settings.numericThreshold : settings.categoricalThreshold;
  const method = own?.method ?? kindMethod ?? settings.method;
  const threshold = own?.threshold ?? kindThreshold ?? settings.threshold;
  return { ...(method ? { method } : {}), ...(threshold !== undefined ? { threshold } : {}) };
}
