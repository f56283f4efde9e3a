/** Whether a larger value of a metric is better, from its name; undefined when the name does not say. */
export type Direction = 'higher' | 'lower';

const LOWER =
  /(loss|error|err\b|mse|rmse|mae|mape|brier|latency|_ms\b|duration|time|perplexity|\bece\b|fpr|fnr|miss)/i;
const HIGHER =
  /(auc|accuracy|\bacc\b|f1|precision|recall|\br2\b|r_squared|score|iou|\bmap\b|ndcg|tpr|gain|lift|coverage)/i;

export function metricDirection(key: string): Direction | undefined {
  const last = key.split('.').pop() ?? key;
  if (LOWER.test(last)) return 'lower';
  if (HIGHER.test(last)) return 'higher';
  return undefined;
}
