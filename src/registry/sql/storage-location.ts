import { errors } from '../../kernel/errors.ts';
import type { SqlExecutor } from '../../store/metadata-store.ts';

const VERSION_URI = /^models:\/([^/]+)\/(\d+)$/;
const ALIAS_URI = /^models:\/([^/@]+)@([^/]+)$/;

/** Where a version's files can be read: its own source, or the place a `models:/` source resolved to. */
export async function downloadUri(
  tx: SqlExecutor,
  name: string,
  version: number,
): Promise<string | undefined> {
  const row = await tx.get<{ source: string; storage_location: string | null }>(
    `SELECT v.source, v.storage_location FROM registry_versions v JOIN registry_models m ON m.id = v.model_id
     WHERE m.name = ? AND v.version = ?`,
    [name, version],
  );
  return row ? (row.storage_location ?? row.source) : undefined;
}

/**
 * A version registered from another version (`models:/<name>/<version>`, or `models:/<name>@<alias>`,
 * which MLflow does not resolve) is stored with the files' real location, as MLflow does, so that
 * reading it does not chase a chain of `models:/` URIs. Other sources need no resolution here:
 * undefined. (`models:/m-<id>`, an MLflow 3 logged model, is the tracking store's to resolve.)
 */
export async function storageLocation(tx: SqlExecutor, source: string): Promise<string | undefined> {
  const byVersion = VERSION_URI.exec(source);
  const byAlias = byVersion ? null : ALIAS_URI.exec(source);
  if (!byVersion && !byAlias) return undefined;
  const name = (byVersion ?? byAlias)?.[1] as string;
  let version: number | undefined;
  if (byVersion) version = Number(byVersion[2]);
  else {
    const alias = await tx.get<{ version: number }>(
      `SELECT a.version FROM registry_aliases a JOIN registry_models m ON m.id = a.model_id
       WHERE m.name = ? AND a.alias = ?`,
      [name, byAlias?.[2] as string],
    );
    version = alias?.version;
  }
  const uri = version === undefined ? undefined : await downloadUri(tx, name, version);
  if (uri === undefined)
    throw errors.invalid(
      `Unable to fetch model from model URI source artifact location '${source}'. ` +
        `Error: no model version ${byVersion ? `${name}/${version}` : `${name}@${byAlias?.[2]}`}`,
      { details: { source } },
    );
  return uri;
}
