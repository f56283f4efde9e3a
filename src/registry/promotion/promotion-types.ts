/**
 * Gate results and evaluations recorded on model versions, and the audit trail of alias moves:
 * the data behind promotion enforcement. Field names are snake_case, as in the registry's
 * MLflow-shaped entities, so the same objects go through the store, the server and `--json`.
 */

export const CHECK_KINDS = ['gate', 'evaluation'] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

/** A result to record on a model version. */
export interface NewVersionCheck {
  kind: CheckKind;
  /** The gate's name (kind `gate` only). */
  gate?: string;
  /** Whether every rule passed (kind `gate` only). */
  passed?: boolean;
  /** The whole result (metrics, rules, data digest), as JSON-able data. */
  result: Record<string, unknown>;
}

/** A result recorded on a model version: who recorded it and when. */
export interface VersionCheck extends NewVersionCheck {
  id: string;
  name: string;
  version: string;
  /** Milliseconds since the epoch. */
  created_at: number;
  created_by: string;
}

/**
 * A gated alias: `alias` of registered model `model` may point only at a version whose latest
 * result for `gate` passed. Several gates may guard one alias: all must pass.
 */
export interface AliasGuard {
  model: string;
  alias: string;
  gate: string;
}

/** What promotion enforcement knows: the gated aliases. */
export interface GatePolicy {
  guards: readonly AliasGuard[];
}

export const NO_GATES: GatePolicy = { guards: [] };

/** A request to point an alias at a version. */
export interface AliasMove {
  name: string;
  alias: string;
  version: string;
  /** Move past a failed or missing gate result; needs `reason`, and is recorded as forced. */
  force?: boolean;
  reason?: string;
  /** Who asks (a user or token name), recorded in the audit trail. */
  actor: string;
}

/** One gate's verdict on a version, as the check sees it. */
export interface GateVerdict {
  gate: string;
  /** The latest result of this gate on the version; absent when none was recorded. */
  check_id?: string;
  passed?: boolean;
  checked_at?: number;
  ok: boolean;
}

/** Whether an alias may move to a version, and why. */
export interface PromotionDecision {
  name: string;
  alias: string;
  version: string;
  /** True when no gate guards the alias, or every gate's latest result passed. */
  allowed: boolean;
  gated: boolean;
  gates: GateVerdict[];
  /** Why the move is refused (when not allowed): one line for a person. */
  message?: string;
}

export const ALIAS_ACTIONS = ['set', 'delete'] as const;
export type AliasAction = (typeof ALIAS_ACTIONS)[number];

/** One entry of a model's alias audit trail. */
export interface AliasEvent {
  id: string;
  name: string;
  alias: string;
  action: AliasAction;
  /** The version the alias named before (absent when it was new). */
  from_version?: string;
  /** The version it names after (absent for a delete). */
  to_version?: string;
  /** Moved past a failed or missing gate result. */
  forced: boolean;
  reason?: string;
  /** The gates that guarded the alias, with their verdicts at the time. */
  gates: GateVerdict[];
  actor: string;
  /** Milliseconds since the epoch. */
  at: number;
}
