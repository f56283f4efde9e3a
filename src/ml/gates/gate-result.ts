import type { GateRule } from '../../pipeline/definition/gate-rules.ts';
import type { MetricSet } from '../metrics/metric-set.ts';

/** What one rule measured and whether it passed. */
export interface RuleOutcome {
  /** The rule as written in cairn.yaml. */
  rule: string;
  kind: GateRule['kind'];
  /** Its line in cairn.yaml. */
  line: number;
  passed: boolean;
  /** The measured value (a metric, a latency in ms, a gap, a prediction change); absent when undefined. */
  value?: number;
  /** What the value is held to, for people: `>= 0.88`, `<= 5 ms`, `<= 0.1`. */
  threshold: string;
  /** The champion's value, for rules against the champion. */
  champion?: number;
  /** Why it failed or what it found (undefined metrics, removed inputs, the widest slice gap). */
  detail?: string;
}

/** The outcome of `cairn gate`: every rule of one gate on one model. */
export interface GateResult {
  gate: string;
  /** The model as given: a package directory or `models:/name/version`. */
  model: string;
  /** The registry version the result belongs to, when the model is one. */
  version?: { name: string; version: string };
  /** The version the champion-relative and signature rules compared with. */
  champion?: { name: string; version: string; alias: string };
  data: { path: string; digest: string; rows: number };
  target: string;
  passed: boolean;
  rules: RuleOutcome[];
  /** The candidate's metrics on the gate's data. */
  metrics: MetricSet;
  /** The champion's metrics on the same data, when a rule needed them. */
  champion_metrics?: MetricSet;
  /** ISO 8601. */
  evaluated_at: string;
}
