import type {
  AliasEvent,
  AliasMove,
  NewVersionCheck,
  PromotionDecision,
  VersionCheck,
} from './promotion-types.ts';

/**
 * Gate results on model versions and guarded alias moves. Implementations: SqlPromotionStore (the
 * metadata store, with the gate policy it enforces) and HttpPromotionStore (a Cairn server, which
 * enforces its own policy). One contract suite runs against each.
 *
 * @example
 * await promotion.recordCheck('income', '3', { kind: 'gate', gate: 'income', passed: true, result }, 'ci');
 * await promotion.moveAlias({ name: 'income', alias: 'champion', version: '3', actor: 'ana' });
 */
export interface PromotionStore {
  /**
   * Records a gate result or an evaluation on a version (NOT_FOUND when the version does not
   * exist). `actor` is who records it (a server records its authenticated caller instead).
   */
  recordCheck(name: string, version: string, check: NewVersionCheck, actor: string): Promise<VersionCheck>;
  /** The version's results, newest first; filtered by kind and gate when given. */
  listChecks(
    name: string,
    version: string,
    filter?: { kind?: VersionCheck['kind']; gate?: string },
  ): Promise<VersionCheck[]>;
  /** Whether `alias` may move to `version` under the store's gate policy; changes nothing. */
  checkPromotion(name: string, alias: string, version: string): Promise<PromotionDecision>;
  /**
   * Points the alias at the version when the check allows it (or `force` with a reason overrides
   * it), and records the move in the audit trail, in one transaction. A refused move is a
   * FAILED_PRECONDITION error naming the gate and the version.
   */
  moveAlias(move: AliasMove): Promise<AliasEvent>;
  /** Removes the alias (deleting one that does not exist is not an error, and records nothing). */
  deleteAlias(name: string, alias: string, actor: string): Promise<AliasEvent | undefined>;
  /** The model's alias moves, oldest first. */
  aliasHistory(name: string): Promise<AliasEvent[]>;
}
