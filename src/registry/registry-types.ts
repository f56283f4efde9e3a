/**
 * The model registry's data model: MLflow's entities with MLflow's field names (snake_case), so the
 * same objects flow through the local store, Cairn's server and the MLflow REST API unchanged.
 */
import type { Tag } from '../tracking/tracking-types.ts';

export type { Page, Tag } from '../tracking/tracking-types.ts';

/** A version's stage; input is matched case-insensitively (`production` → `Production`). */
export const MODEL_VERSION_STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type ModelVersionStage = (typeof MODEL_VERSION_STAGES)[number];

/** The stages `archive_existing_versions` may be used with. */
export const ACTIVE_STAGES = ['Staging', 'Production'] as const satisfies readonly ModelVersionStage[];

export const MODEL_VERSION_STATUSES = ['PENDING_REGISTRATION', 'FAILED_REGISTRATION', 'READY'] as const;
export type ModelVersionStatus = (typeof MODEL_VERSION_STATUSES)[number];

export interface RegisteredModelAlias {
  alias: string;
  version: string;
}

export interface ModelVersion {
  name: string;
  /** A decimal integer, 1 for a model's first version; numbers are never reused. */
  version: string;
  /** Milliseconds since the epoch. */
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id?: string;
  current_stage: ModelVersionStage;
  description?: string;
  /** Where the model's files are (`runs:/…`, `s3://…`, `models:/…`). */
  source: string;
  run_id?: string;
  run_link?: string;
  status: ModelVersionStatus;
  status_message?: string;
  /** Sorted by key. */
  tags: Tag[];
  /** The aliases that point at this version, sorted. */
  aliases: string[];
}

export interface RegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description?: string;
  /** The highest version in each stage that has one, in version order. */
  latest_versions: ModelVersion[];
  /** Sorted by key. */
  tags: Tag[];
  /** Sorted by alias. */
  aliases: RegisteredModelAlias[];
}

export interface CreateRegisteredModelOptions {
  description?: string;
  tags?: Tag[];
}

export interface CreateModelVersionOptions {
  /** The registered model, which must exist. */
  name: string;
  source: string;
  /**
   * `READY` (the default) or `PENDING_REGISTRATION` for a version whose registration goes on after
   * it is created (see RegistryStore.finishModelVersionRegistration). Stores that cannot record it
   * create READY versions.
   */
  status?: 'READY' | 'PENDING_REGISTRATION';
  run_id?: string;
  run_link?: string;
  description?: string;
  tags?: Tag[];
  user_id?: string;
}

/** A version created PENDING_REGISTRATION and not finished yet. */
export interface PendingModelVersion {
  name: string;
  version: string;
  source: string;
  creation_timestamp: number;
}

/** How a pending registration ends: READY (with tags to add) or FAILED_REGISTRATION with a message. */
export type RegistrationOutcome =
  | { status: 'READY'; tags?: Tag[] }
  | { status: 'FAILED_REGISTRATION'; status_message: string };

export interface SearchRegisteredModelsOptions {
  /** e.g. `name LIKE 'churn-%' and tags.team = 'growth'`. */
  filter?: string;
  /** Default 100; at most 1,000. */
  max_results?: number;
  /** `name`, `creation_timestamp`, `last_updated_timestamp` (alias `timestamp`), each ASC or DESC. */
  order_by?: string[];
  page_token?: string;
}

export interface SearchModelVersionsOptions {
  /** e.g. `name = 'churn' and version_number > 3`, `run_id IN ('a', 'b')`, `tags.k = 'v'`. */
  filter?: string;
  /** Default 10,000; at most 200,000. */
  max_results?: number;
  /** `name`, `version_number`, `creation_timestamp`, `last_updated_timestamp`, each ASC or DESC. */
  order_by?: string[];
  page_token?: string;
}
