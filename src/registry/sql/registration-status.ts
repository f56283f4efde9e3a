import type { SqlExecutor } from '../../store/metadata-store.ts';
import type { PendingModelVersion, RegistrationOutcome } from '../registry-types.ts';

/**
 * The registration status of versions (MLflow's PENDING_REGISTRATION → READY or
 * FAILED_REGISTRATION), for SqlRegistryStore. Finishing changes only a version that is still
 * pending, so two servers finishing the same version leave the first one's outcome.
 */
export async function finishRegistration(
  tx: SqlExecutor,
  name: string,
  version: number,
  outcome: RegistrationOutcome,
): Promise<boolean> {
  const model = await tx.get<{ id: number }>('SELECT id FROM registry_models WHERE name = ?', [name]);
  if (!model) return false;
  const { changes } = await tx.run(
    `UPDATE registry_versions SET status = ?, status_message = ?, last_updated_timestamp = ?
     WHERE model_id = ? AND version = ? AND status = 'PENDING_REGISTRATION'`,
    [
      outcome.status,
      outcome.status === 'FAILED_REGISTRATION' ? outcome.status_message : null,
      Date.now(),
      model.id,
      version,
    ],
  );
  if (changes === 0) return false;
  if (outcome.status === 'READY' && outcome.tags && outcome.tags.length > 0)
    await tx.runMany(
      `INSERT INTO registry_version_tags (model_id, version, key, value) VALUES (?, ?, ?, ?)
       ON CONFLICT (model_id, version, key) DO UPDATE SET value = excluded.value`,
      outcome.tags.map((t) => [model.id, version, t.key, t.value]),
    );
  return true;
}

export async function pendingVersions(tx: SqlExecutor): Promise<PendingModelVersion[]> {
  const rows = await tx.all<{
    name: string;
    version: number | string;
    source: string;
    creation_timestamp: number | string;
  }>(
    `SELECT m.name, v.version, v.source, v.creation_timestamp
     FROM registry_versions v JOIN registry_models m ON m.id = v.model_id
     WHERE v.status = 'PENDING_REGISTRATION' ORDER BY v.creation_timestamp, m.name, v.version`,
  );
  return rows.map((r) => ({
    name: r.name,
    version: String(r.version),
    source: r.source,
    creation_timestamp: Number(r.creation_timestamp),
  }));
}
