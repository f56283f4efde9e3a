import { ApiError, cairn } from './http.ts';

/**
 * Cairn's promotion API (/api/v1/models/…): gate results and evaluations recorded on versions,
 * alias moves checked against the gates, and the audit trail of alias moves. A server without it
 * answers "no endpoint" (404): callers then get `null` and the page shows what MLflow's
 * registry API offers.
 */

export interface RuleOutcome {
  rule: string;
  kind: string;
  line?: number;
  passed: boolean;
  value?: number;
  threshold: string;
  champion?: number;
  detail?: string;
}

/** A gate result (kind `gate`) or an evaluation recorded on a version. */
export interface VersionCheck {
  id: string;
  name: string;
  version: string;
  kind: 'gate' | 'evaluation';
  gate?: string;
  passed?: boolean;
  result: {
    rules?: RuleOutcome[];
    data?: { path: string; digest: string; rows: number };
    target?: string;
    champion?: { name: string; version: string; alias: string };
    metrics?: { values?: Record<string, number>; undefined?: Record<string, string> };
    evaluated_at?: string;
    [key: string]: unknown;
  };
  created_at: number;
  created_by: string;
}

export interface GateVerdict {
  gate: string;
  passed?: boolean;
  ok: boolean;
}

export interface AliasEvent {
  id: string;
  alias: string;
  action: 'set' | 'delete';
  from_version?: string;
  to_version?: string;
  forced: boolean;
  reason?: string;
  gates: GateVerdict[];
  actor: string;
  at: number;
}

function absentEndpoint(err: unknown): boolean {
  return err instanceof ApiError && err.status === 404 && err.message.startsWith('no endpoint');
}

/** The answer, or null when the server has no such endpoint (query data may not be undefined). */
async function unlessAbsent<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (err) {
    if (absentEndpoint(err)) return null;
    throw err;
  }
}

const versionPath = (name: string, version: string) =>
  `models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`;

/** The version's gate results and evaluations, newest first; null without the promotion API. */
export async function versionChecks(name: string, version: string): Promise<VersionCheck[] | null> {
  const body = await unlessAbsent(cairn<{ checks: VersionCheck[] }>(`${versionPath(name, version)}/checks`));
  return body?.checks ?? null;
}

/** The model's alias moves, newest first; null without the promotion API. */
export async function aliasHistory(name: string): Promise<AliasEvent[] | null> {
  const body = await unlessAbsent(
    cairn<{ events: AliasEvent[] }>(`models/${encodeURIComponent(name)}/alias-history`),
  );
  // Newest first, whatever order the server lists them in.
  return body ? [...body.events].sort((a, b) => b.at - a.at || Number(b.id) - Number(a.id)) : null;
}

/**
 * Points `alias` at `version` through the promotion check (gated aliases need a passing gate
 * result, and the move is recorded); false when the server has no promotion API.
 */
export async function promote(name: string, alias: string, version: string): Promise<boolean> {
  const done = await unlessAbsent(
    cairn(`${versionPath(name, version)}/promote`, { method: 'POST', body: { alias } }),
  );
  return done !== null;
}
