import { errors } from '../../kernel/errors.ts';
import type {
  AliasGuard,
  GatePolicy,
  GateVerdict,
  PromotionDecision,
  VersionCheck,
} from './promotion-types.ts';

/** The gates that guard `alias` of model `name`. */
export function guardsOf(policy: GatePolicy, name: string, alias: string): AliasGuard[] {
  return policy.guards.filter((g) => g.model === name && g.alias === alias);
}

/**
 * THE promotion check: may `alias` of `name` point at `version`? Allowed when no gate guards the
 * alias, or when the latest recorded result of every guarding gate on that version passed.
 * `latest(gate)` gives that result. The CLI, the server's alias endpoints and deploy all decide
 * through this function (by way of PromotionStore.checkPromotion / moveAlias).
 */
export function decidePromotion(
  policy: GatePolicy,
  request: { name: string; alias: string; version: string },
  latest: (gate: string) => VersionCheck | undefined,
): PromotionDecision {
  const guards = guardsOf(policy, request.name, request.alias);
  const gates: GateVerdict[] = guards.map(({ gate }) => {
    const check = latest(gate);
    if (!check) return { gate, ok: false };
    return {
      gate,
      check_id: check.id,
      passed: check.passed === true,
      checked_at: check.created_at,
      ok: check.passed === true,
    };
  });
  const failing = gates.filter((g) => !g.ok);
  const decision: PromotionDecision = {
    ...request,
    allowed: failing.length === 0,
    gated: guards.length > 0,
    gates,
  };
  if (failing.length > 0) {
    const why = failing
      .map((g) =>
        g.check_id === undefined
          ? `gate ${g.gate} has no result for version ${request.version}`
          : `gate ${g.gate} failed on version ${request.version} (result ${g.check_id})`,
      )
      .join('; ');
    decision.message =
      `cannot move alias ${request.alias} of ${request.name} to version ${request.version}: ${why}. ` +
      `Run cairn gate models:/${request.name}/${request.version}${failing.length === 1 ? ` --gate ${failing[0]?.gate}` : ''} ` +
      'and promote a version that passes, or override with cairn models promote … --force --reason "…"';
  }
  return decision;
}

/**
 * Throws FAILED_PRECONDITION when the decision refuses the move and it is not forced; checks
 * that a forced move gives a reason. Returns whether the move overrides a refusal.
 */
export function enforceDecision(
  decision: PromotionDecision,
  force: boolean,
  reason: string | undefined,
): boolean {
  if (force && (reason === undefined || reason.trim() === ''))
    throw errors.invalid('a forced promotion needs a reason', {
      hint: 'add --reason "why this version must go out without passing its gate"; it is recorded in the audit trail',
    });
  if (decision.allowed) return false;
  if (force) return true;
  throw errors.precondition(decision.message as string, {
    details: { name: decision.name, alias: decision.alias, version: decision.version, gates: decision.gates },
  });
}
