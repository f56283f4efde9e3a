import { errors } from '../../kernel/errors.ts';
import type { MetadataStore, SqlExecutor } from '../../store/metadata-store.ts';
import type { RegistryStore } from '../registry-store.ts';
import {
  ACTIVE_STAGES,
  type CreateModelVersionOptions,
  type CreateRegisteredModelOptions,
  type ModelVersion,
  type Page,
  type PendingModelVersion,
  type RegisteredModel,
  type RegistrationOutcome,
  type SearchModelVersionsOptions,
  type SearchRegisteredModelsOptions,
  type Tag,
} from '../registry-types.ts';
import {
  canonicalStage,
  distinctTags,
  parseVersion,
  requireString,
  validateAlias,
  validateAliasNotReserved,
  validateMaxResults,
  validateModelName,
  validateTag,
  validateTagKey,
} from '../registry-validation.ts';
import { finishRegistration, pendingVersions } from './registration-status.ts';
import { modelFilter, versionFilter } from './registry-filter.ts';
import {
  aliasTarget,
  alreadyExists,
  FROM_VERSIONS,
  modelId,
  modelNotFound,
  versionNotFound,
  versionRow,
} from './registry-lookups.ts';
import { MODEL_ORDER, orderBySql, pageOffset, pageToken, VERSION_ORDER } from './registry-paging.ts';
import {
  MODEL_COLUMNS,
  type ModelRow,
  toModels,
  toVersions,
  VERSION_COLUMNS,
  type VersionRow,
} from './registry-rows.ts';
import { downloadUri, storageLocation } from './storage-location.ts';

const MODELS_DEFAULT_MAX_RESULTS = 100;
const MODELS_MAX_RESULTS = 1_000;
const VERSIONS_DEFAULT_MAX_RESULTS = 10_000;
const VERSIONS_MAX_RESULTS = 200_000;

/**
 * The model registry over the MetadataStore (SQLite or PostgreSQL), after MLflow's
 * SqlAlchemyStore. Every operation, reads included, runs in one transaction, so an entity is read
 * from one consistent state; the MetadataStore may run a transaction again after a conflict.
 */
export class SqlRegistryStore implements RegistryStore {
  readonly #metadata: MetadataStore;

  constructor(metadata: MetadataStore) {
    this.#metadata = metadata;
  }

  async createRegisteredModel(
    name: string,
    options: CreateRegisteredModelOptions = {},
  ): Promise<RegisteredModel> {
    validateModelName(name);
    const tags = distinctTags(options.tags);
    return this.#metadata.transaction(async (tx) => {
      const now = Date.now();
      const created = await tx.get<{ id: number }>(
        `INSERT INTO registry_models (name, creation_timestamp, last_updated_timestamp, description)
         VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING id`,
        [name, now, now, options.description ?? null],
      );
      if (!created) throw await alreadyExists(tx, name, tags);
      await tx.runMany(
        'INSERT INTO registry_model_tags (model_id, key, value) VALUES (?, ?, ?)',
        tags.map((t) => [created.id, t.key, t.value]),
      );
      return this.#loadModel(tx, name);
    });
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    validateModelName(name);
    return this.#metadata.transaction((tx) => this.#loadModel(tx, name));
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    validateModelName(newName, 'new_name');
    validateModelName(name);
    return this.#metadata.transaction(async (tx) => {
      const now = Date.now();
      const id = await modelId(tx, name);
      if (
        newName !== name &&
        (await tx.get('SELECT 1 AS taken FROM registry_models WHERE name = ?', [newName]))
      )
        throw errors.exists(`Registered Model (name=${newName}) already exists.`, {
          details: { name: newName },
        });
      await tx.run('UPDATE registry_models SET name = ?, last_updated_timestamp = ? WHERE id = ?', [
        newName,
        now,
        id,
      ]);
      await tx.run('UPDATE registry_versions SET last_updated_timestamp = ? WHERE model_id = ?', [now, id]);
      return this.#loadModel(tx, newName);
    });
  }

  async updateRegisteredModel(name: string, description: string): Promise<RegisteredModel> {
    validateModelName(name);
    return this.#metadata.transaction(async (tx) => {
      const now = Date.now();
      const { changes } = await tx.run(
        'UPDATE registry_models SET description = ?, last_updated_timestamp = ? WHERE name = ?',
        [description ?? null, now, name],
      );
      if (changes === 0) throw modelNotFound(name);
      return this.#loadModel(tx, name);
    });
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    validateModelName(name);
    await this.#metadata.transaction(async (tx) => {
      const { changes } = await tx.run('DELETE FROM registry_models WHERE name = ?', [name]);
      if (changes === 0) throw modelNotFound(name);
    });
  }

  async searchRegisteredModels(options: SearchRegisteredModelsOptions = {}): Promise<Page<RegisteredModel>> {
    const maxResults = validateMaxResults(
      options.max_results ?? MODELS_DEFAULT_MAX_RESULTS,
      MODELS_MAX_RESULTS,
    );
    const where = modelFilter(options.filter);
    const order = orderBySql(options.order_by, MODEL_ORDER);
    const offset = pageOffset(options.page_token);
    return this.#metadata.transaction(async (tx) => {
      const rows = await tx.all<ModelRow>(
        `SELECT ${MODEL_COLUMNS} FROM registry_models m WHERE ${where.sql} ORDER BY ${order} LIMIT ? OFFSET ?`,
        [...where.params, maxResults + 1, offset],
      );
      const items = await toModels(tx, rows.slice(0, maxResults));
      return rows.length > maxResults
        ? { items, next_page_token: pageToken(offset + maxResults) }
        : { items };
    });
  }

  async getLatestVersions(name: string, stages?: string[]): Promise<ModelVersion[]> {
    validateModelName(name);
    const wanted = new Set(stages?.map(canonicalStage));
    const model = await this.getRegisteredModel(name);
    return model.latest_versions.filter((v) => wanted.size === 0 || wanted.has(v.current_stage));
  }

  async setRegisteredModelTag(name: string, tag: Tag): Promise<void> {
    validateModelName(name);
    validateTag(tag);
    await this.#metadata.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO registry_model_tags (model_id, key, value) VALUES (?, ?, ?)
         ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value`,
        [await modelId(tx, name), tag.key, tag.value],
      );
    });
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    validateModelName(name);
    validateTagKey(key);
    await this.#metadata.transaction(async (tx) => {
      const id = await modelId(tx, name);
      await tx.run('DELETE FROM registry_model_tags WHERE model_id = ? AND key = ?', [id, key]);
    });
  }

  async setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    validateModelName(name);
    validateAlias(alias);
    validateAliasNotReserved(alias);
    const number = parseVersion(version);
    await this.#metadata.transaction(async (tx) => {
      const row = await versionRow(tx, name, number);
      await tx.run(
        `INSERT INTO registry_aliases (model_id, alias, version) VALUES (?, ?, ?)
         ON CONFLICT (model_id, alias) DO UPDATE SET version = excluded.version`,
        [row.model_id, alias, number],
      );
    });
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    validateModelName(name);
    validateAlias(alias);
    await this.#metadata.transaction(async (tx) => {
      const id = await modelId(tx, name);
      await tx.run('DELETE FROM registry_aliases WHERE model_id = ? AND alias = ?', [id, alias]);
    });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    validateModelName(name);
    validateAlias(alias);
    return this.#metadata.transaction(async (tx) => {
      const version = await aliasTarget(tx, await modelId(tx, name), name, alias);
      return this.#loadVersion(tx, name, version);
    });
  }

  async createModelVersion(options: CreateModelVersionOptions): Promise<ModelVersion> {
    const { name, source } = options;
    validateModelName(name);
    requireString(source, 'source');
    const tags = distinctTags(options.tags);
    return this.#metadata.transaction(async (tx) => {
      const now = Date.now();
      // The counter's row lock orders concurrent creators; each gets the next number.
      const model = await tx.get<{ id: number; version: number }>(
        `UPDATE registry_models SET last_version = last_version + 1, last_updated_timestamp = ?
         WHERE name = ? RETURNING id, last_version AS version`,
        [now, name],
      );
      if (!model) throw modelNotFound(name);
      const location = await storageLocation(tx, source);
      await tx.run(
        `INSERT INTO registry_versions (model_id, version, creation_timestamp, last_updated_timestamp,
           user_id, current_stage, description, source, storage_location, run_id, run_link, status)
         VALUES (?, ?, ?, ?, ?, 'None', ?, ?, ?, ?, ?, ?)`,
        [
          model.id,
          model.version,
          now,
          now,
          options.user_id ?? null,
          options.description ?? null,
          source,
          location ?? null,
          options.run_id || null,
          options.run_link || null,
          options.status === 'PENDING_REGISTRATION' ? 'PENDING_REGISTRATION' : 'READY',
        ],
      );
      await tx.runMany(
        'INSERT INTO registry_version_tags (model_id, version, key, value) VALUES (?, ?, ?, ?)',
        tags.map((t) => [model.id, model.version, t.key, t.value]),
      );
      return this.#loadVersion(tx, name, model.version);
    });
  }

  finishModelVersionRegistration(
    name: string,
    version: string,
    outcome: RegistrationOutcome,
  ): Promise<boolean> {
    validateModelName(name);
    const number = parseVersion(version);
    for (const tag of outcome.status === 'READY' ? (outcome.tags ?? []) : []) validateTag(tag);
    return this.#metadata.transaction((tx) => finishRegistration(tx, name, number, outcome));
  }

  listPendingModelVersions(): Promise<PendingModelVersion[]> {
    return this.#metadata.transaction((tx) => pendingVersions(tx));
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    validateModelName(name);
    const number = parseVersion(version);
    return this.#metadata.transaction((tx) => this.#loadVersion(tx, name, number));
  }

  async updateModelVersion(name: string, version: string, description: string): Promise<ModelVersion> {
    validateModelName(name);
    const number = parseVersion(version);
    return this.#metadata.transaction(async (tx) => {
      const now = Date.now();
      const row = await versionRow(tx, name, number);
      await tx.run(
        'UPDATE registry_versions SET description = ?, last_updated_timestamp = ? WHERE model_id = ? AND version = ?',
        [description ?? null, now, row.model_id, number],
      );
      return this.#loadVersion(tx, name, number);
    });
  }

  async transitionModelVersionStage(
    name: string,
    version: string,
    stage: string,
    archiveExistingVersions = false,
  ): Promise<ModelVersion> {
    validateModelName(name);
    const number = parseVersion(version);
    const target = canonicalStage(stage);
    if (archiveExistingVersions && !(ACTIVE_STAGES as readonly string[]).includes(target))
      throw errors.invalid(
        'Model version transition cannot archive existing model versions because ' +
          `'${stage}' is not an Active stage. Valid stages are ${ACTIVE_STAGES.join(', ')}`,
      );
    return this.#metadata.transaction(async (tx) => {
      const now = Date.now();
      const row = await versionRow(tx, name, number);
      if (archiveExistingVersions)
        await tx.run(
          `UPDATE registry_versions SET current_stage = 'Archived', last_updated_timestamp = ?
           WHERE model_id = ? AND current_stage = ? AND version <> ?`,
          [now, row.model_id, target, number],
        );
      await tx.run(
        'UPDATE registry_versions SET current_stage = ?, last_updated_timestamp = ? WHERE model_id = ? AND version = ?',
        [target, now, row.model_id, number],
      );
      await tx.run('UPDATE registry_models SET last_updated_timestamp = ? WHERE id = ?', [now, row.model_id]);
      return this.#loadVersion(tx, name, number);
    });
  }

  async deleteModelVersion(name: string, version: string): Promise<void> {
    validateModelName(name);
    const number = parseVersion(version);
    await this.#metadata.transaction(async (tx) => {
      const now = Date.now();
      const row = await versionRow(tx, name, number);
      await tx.run('DELETE FROM registry_versions WHERE model_id = ? AND version = ?', [
        row.model_id,
        number,
      ]);
      await tx.run('UPDATE registry_models SET last_updated_timestamp = ? WHERE id = ?', [now, row.model_id]);
    });
  }

  async searchModelVersions(options: SearchModelVersionsOptions = {}): Promise<Page<ModelVersion>> {
    const maxResults = validateMaxResults(
      options.max_results ?? VERSIONS_DEFAULT_MAX_RESULTS,
      VERSIONS_MAX_RESULTS,
    );
    const where = versionFilter(options.filter);
    const order = orderBySql(options.order_by, VERSION_ORDER);
    const offset = pageOffset(options.page_token);
    return this.#metadata.transaction(async (tx) => {
      const rows = await tx.all<VersionRow>(
        `SELECT ${VERSION_COLUMNS} ${FROM_VERSIONS} WHERE ${where.sql} ORDER BY ${order} LIMIT ? OFFSET ?`,
        [...where.params, maxResults + 1, offset],
      );
      const items = await toVersions(tx, rows.slice(0, maxResults));
      return rows.length > maxResults
        ? { items, next_page_token: pageToken(offset + maxResults) }
        : { items };
    });
  }

  async setModelVersionTag(name: string, version: string, tag: Tag): Promise<void> {
    validateModelName(name);
    const number = parseVersion(version);
    validateTag(tag);
    await this.#metadata.transaction(async (tx) => {
      const row = await versionRow(tx, name, number);
      await tx.run(
        `INSERT INTO registry_version_tags (model_id, version, key, value) VALUES (?, ?, ?, ?)
         ON CONFLICT (model_id, version, key) DO UPDATE SET value = excluded.value`,
        [row.model_id, number, tag.key, tag.value],
      );
    });
  }

  async deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    validateModelName(name);
    const number = parseVersion(version);
    validateTagKey(key);
    await this.#metadata.transaction(async (tx) => {
      const row = await versionRow(tx, name, number);
      await tx.run('DELETE FROM registry_version_tags WHERE model_id = ? AND version = ? AND key = ?', [
        row.model_id,
        number,
        key,
      ]);
    });
  }

  async getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    validateModelName(name);
    const number = parseVersion(version);
    return this.#metadata.transaction(async (tx) => {
      const uri = await downloadUri(tx, name, number);
      if (uri === undefined) throw versionNotFound(name, number);
      return uri;
    });
  }

  async #loadModel(tx: SqlExecutor, name: string): Promise<RegisteredModel> {
    const row = await tx.get<ModelRow>(`SELECT ${MODEL_COLUMNS} FROM registry_models m WHERE m.name = ?`, [
      name,
    ]);
    if (!row) throw modelNotFound(name);
    return (await toModels(tx, [row]))[0] as RegisteredModel;
  }

  async #loadVersion(tx: SqlExecutor, name: string, version: number): Promise<ModelVersion> {
    return (await toVersions(tx, [await versionRow(tx, name, version)]))[0] as ModelVersion;
  }
}
