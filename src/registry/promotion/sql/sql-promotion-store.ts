import { errors } from '../../../kernel/errors.ts';
import type { MetadataStore, SqlExecutor } from '../../../store/metadata-store.ts';
import {
  parseVersion,
  validateAlias,
  validateAliasNotReserved,
  validateModelName,
} from '../../registry-validation.ts';
import { modelId, versionRow } from '../../sql/registry-lookups.ts';
import { decidePromotion, enforceDecision } from '../promotion-check.ts';
import type { PromotionStore } from '../promotion-store.ts';
import {
  type AliasEvent,
  type AliasMove,
  CHECK_KINDS,
  type GatePolicy,
  type GateVerdict,
  type NewVersionCheck,
  NO_GATES,
  type PromotionDecision,
  type VersionCheck,
} from '../promotion-types.ts';

interface CheckRow {
  [column: string]: unknown;
  id: number | string;
  name: string;
  version: number | string;
  kind: VersionCheck['kind'];
  gate: string | null;
  passed: number | null;
  result: string;
  created_at: number | string;
  created_by: string;
}

interface EventRow {
  [column: string]: unknown;
  id: number | string;
  name: string;
  alias: string;
  action: AliasEvent['action'];
  from_version: number | string | null;
  to_version: number | string | null;
  forced: number;
  reason: string | null;
  gates: string;
  actor: string;
  at: number | string;
}

const CHECK_COLUMNS =
  'c.id, m.name, c.version, c.kind, c.gate, c.passed, c.result, c.created_at, c.created_by';
const FROM_CHECKS = 'FROM registry_version_checks c JOIN registry_models m ON m.id = c.model_id';

/**
 * Promotion over the metadata store (SQLite or PostgreSQL), enforcing `policy`. A move reads the
 * latest gate results, decides with decidePromotion, moves the alias and records the event in
 * one serializable transaction: a result recorded at the same time cannot slip between the check
 * and the move.
 */
export class SqlPromotionStore implements PromotionStore {
  readonly #metadata: MetadataStore;
  readonly #policy: GatePolicy;

  constructor(metadata: MetadataStore, policy: GatePolicy = NO_GATES) {
    this.#metadata = metadata;
    this.#policy = policy;
  }

  async recordCheck(
    name: string,
    version: string,
    check: NewVersionCheck,
    actor = 'unknown',
  ): Promise<VersionCheck> {
    validateModelName(name);
    const number = parseVersion(version);
    validateCheck(check);
    return this.#metadata.transaction(async (tx) => {
      const row = await versionRow(tx, name, number);
      const created = await tx.get<{ id: number | string }>(
        `INSERT INTO registry_version_checks (model_id, version, kind, gate, passed, result, created_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        [
          row.model_id,
          number,
          check.kind,
          check.gate ?? null,
          check.passed === undefined ? null : check.passed ? 1 : 0,
          JSON.stringify(check.result),
          Date.now(),
          actor,
        ],
      );
      const stored = await tx.get<CheckRow>(`SELECT ${CHECK_COLUMNS} ${FROM_CHECKS} WHERE c.id = ?`, [
        created?.id ?? null,
      ]);
      return toCheck(stored as CheckRow);
    });
  }

  async listChecks(
    name: string,
    version: string,
    filter: { kind?: VersionCheck['kind']; gate?: string } = {},
  ): Promise<VersionCheck[]> {
    validateModelName(name);
    const number = parseVersion(version);
    return this.#metadata.transaction(async (tx) => {
      const row = await versionRow(tx, name, number);
      return (await checksOf(tx, row.model_id, number, filter)).map(toCheck);
    });
  }

  async checkPromotion(name: string, alias: string, version: string): Promise<PromotionDecision> {
    validateModelName(name);
    validateAlias(alias);
    const number = parseVersion(version);
    return this.#metadata.transaction((tx) => this.#decide(tx, name, alias, number));
  }

  async moveAlias(move: AliasMove): Promise<AliasEvent> {
    const { name, alias } = move;
    validateModelName(name);
    validateAlias(alias);
    validateAliasNotReserved(alias);
    const number = parseVersion(move.version);
    return this.#metadata.transaction(async (tx) => {
      const decision = await this.#decide(tx, name, alias, number);
      const forced = enforceDecision(decision, move.force ?? false, move.reason);
      const row = await versionRow(tx, name, number);
      const before = await tx.get<{ version: number | string }>(
        'SELECT version FROM registry_aliases WHERE model_id = ? AND alias = ?',
        [row.model_id, alias],
      );
      await tx.run(
        `INSERT INTO registry_aliases (model_id, alias, version) VALUES (?, ?, ?)
         ON CONFLICT (model_id, alias) DO UPDATE SET version = excluded.version`,
        [row.model_id, alias, number],
      );
      return this.#record(tx, row.model_id, {
        name,
        alias,
        action: 'set',
        ...(before ? { from_version: String(before.version) } : {}),
        to_version: String(number),
        forced,
        ...(move.force && move.reason ? { reason: move.reason.trim() } : {}),
        gates: decision.gates,
        actor: move.actor,
      });
    });
  }

  async deleteAlias(name: string, alias: string, actor: string): Promise<AliasEvent | undefined> {
    validateModelName(name);
    validateAlias(alias);
    return this.#metadata.transaction(async (tx) => {
      const id = await modelId(tx, name);
      const before = await tx.get<{ version: number | string }>(
        'SELECT version FROM registry_aliases WHERE model_id = ? AND alias = ?',
        [id, alias],
      );
      if (!before) return undefined;
      await tx.run('DELETE FROM registry_aliases WHERE model_id = ? AND alias = ?', [id, alias]);
      return this.#record(tx, id, {
        name,
        alias,
        action: 'delete',
        from_version: String(before.version),
        forced: false,
        gates: [],
        actor,
      });
    });
  }

  async aliasHistory(name: string): Promise<AliasEvent[]> {
    validateModelName(name);
    return this.#metadata.transaction(async (tx) => {
      const id = await modelId(tx, name);
      const rows = await tx.all<EventRow>(
        `SELECT e.id, m.name, e.alias, e.action, e.from_version, e.to_version, e.forced, e.reason, e.gates, e.actor, e.at
         FROM registry_alias_events e JOIN registry_models m ON m.id = e.model_id
         WHERE e.model_id = ? ORDER BY e.id`,
        [id],
      );
      return rows.map(toEvent);
    });
  }

  async #decide(tx: SqlExecutor, name: string, alias: string, version: number): Promise<PromotionDecision> {
    const row = await versionRow(tx, name, version);
    const gates = await checksOf(tx, row.model_id, version, { kind: 'gate' });
    const latest = new Map<string, VersionCheck>();
    for (const r of gates) if (r.gate !== null && !latest.has(r.gate)) latest.set(r.gate, toCheck(r));
    return decidePromotion(this.#policy, { name, alias, version: String(version) }, (gate) =>
      latest.get(gate),
    );
  }

  async #record(tx: SqlExecutor, id: number, event: Omit<AliasEvent, 'id' | 'at'>): Promise<AliasEvent> {
    const at = Date.now();
    const created = await tx.get<{ id: number | string }>(
      `INSERT INTO registry_alias_events (model_id, alias, action, from_version, to_version, forced, reason, gates, actor, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [
        id,
        event.alias,
        event.action,
        event.from_version === undefined ? null : Number(event.from_version),
        event.to_version === undefined ? null : Number(event.to_version),
        event.forced ? 1 : 0,
        event.reason ?? null,
        JSON.stringify(event.gates),
        event.actor,
        at,
      ],
    );
    return { id: String(created?.id), ...event, at };
  }
}

async function checksOf(
  tx: SqlExecutor,
  model: number,
  version: number,
  filter: { kind?: string; gate?: string },
): Promise<CheckRow[]> {
  const where = ['c.model_id = ?', 'c.version = ?'];
  const params: (string | number)[] = [model, version];
  if (filter.kind !== undefined) {
    where.push('c.kind = ?');
    params.push(filter.kind);
  }
  if (filter.gate !== undefined) {
    where.push('c.gate = ?');
    params.push(filter.gate);
  }
  return tx.all<CheckRow>(
    `SELECT ${CHECK_COLUMNS} ${FROM_CHECKS} WHERE ${where.join(' AND ')} ORDER BY c.id DESC`,
    params,
  );
}

function validateCheck(check: NewVersionCheck): void {
  if (!(CHECK_KINDS as readonly string[]).includes(check?.kind))
    throw errors.invalid(
      `a check's kind must be one of ${CHECK_KINDS.join(', ')}, not ${JSON.stringify(check?.kind)}`,
    );
  if (
    check.kind === 'gate' &&
    (typeof check.gate !== 'string' || check.gate === '' || typeof check.passed !== 'boolean')
  )
    throw errors.invalid('a gate result needs the gate name and whether it passed');
  if (typeof check.result !== 'object' || check.result === null || Array.isArray(check.result))
    throw errors.invalid("a check's result must be an object");
}

function toCheck(r: CheckRow): VersionCheck {
  return {
    id: String(r.id),
    name: r.name,
    version: String(r.version),
    kind: r.kind,
    ...(r.gate !== null ? { gate: r.gate } : {}),
    ...(r.passed !== null ? { passed: Number(r.passed) === 1 } : {}),
    result: JSON.parse(r.result) as Record<string, unknown>,
    created_at: Number(r.created_at),
    created_by: r.created_by,
  };
}

function toEvent(r: EventRow): AliasEvent {
  return {
    id: String(r.id),
    name: r.name,
    alias: r.alias,
    action: r.action,
    ...(r.from_version !== null ? { from_version: String(r.from_version) } : {}),
    ...(r.to_version !== null ? { to_version: String(r.to_version) } : {}),
    forced: Number(r.forced) === 1,
    ...(r.reason !== null ? { reason: r.reason } : {}),
    gates: JSON.parse(r.gates) as GateVerdict[],
    actor: r.actor,
    at: Number(r.at),
  };
}
