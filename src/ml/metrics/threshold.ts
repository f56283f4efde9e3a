import { errors } from '../../kernel/errors.ts';
import { binaryCurve } from './binary-curve.ts';

/** How the decision threshold of a binary classifier is chosen. */
export type ThresholdSpec = { kind: 'fixed'; value: number } | { kind: 'optimize'; metric: 'f1' };

export const DEFAULT_THRESHOLD: ThresholdSpec = { kind: 'fixed', value: 0.5 };

/** `0.5` → fixed; `optimize:f1` → the threshold with the best F1 on the data. */
export function parseThreshold(text: string, flag = '--threshold'): ThresholdSpec {
  const trimmed = text.trim();
  if (/^optimize:f1$/i.test(trimmed)) return { kind: 'optimize', metric: 'f1' };
  const value = Number(trimmed);
  if (trimmed === '' || !Number.isFinite(value) || value < 0 || value > 1)
    throw errors.invalid(
      `${flag} ${JSON.stringify(text)} is neither a probability in [0, 1] nor optimize:f1`,
      {
        hint: `e.g. ${flag} 0.5 or ${flag} optimize:f1`,
      },
    );
  return { kind: 'fixed', value };
}

export function thresholdText(spec: ThresholdSpec): string {
  return spec.kind === 'fixed' ? String(spec.value) : `optimize:${spec.metric}`;
}

/**
 * The threshold to use: the fixed value, or the distinct score whose rule "score >= t is
 * positive" gives the highest F1 (the highest such score when several tie).
 */
export function resolveThreshold(spec: ThresholdSpec, positive: Uint8Array, scores: Float64Array): number {
  if (spec.kind === 'fixed') return spec.value;
  const c = binaryCurve(positive, scores);
  let best = Number.NEGATIVE_INFINITY;
  let chosen = 0.5;
  for (let i = 0; i < c.thresholds.length; i++) {
    const tp = c.tps[i] as number;
    const denominator = 2 * tp + (c.fps[i] as number) + (c.positives - tp);
    const f1 = denominator === 0 ? 0 : (2 * tp) / denominator;
    if (f1 > best) {
      best = f1;
      chosen = c.thresholds[i] as number;
    }
  }
  return chosen;
}
