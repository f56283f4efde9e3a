import type {
  CreateModelVersionOptions,
  CreateRegisteredModelOptions,
  ModelVersion,
  Page,
  PendingModelVersion,
  RegisteredModel,
  RegistrationOutcome,
  SearchModelVersionsOptions,
  SearchRegisteredModelsOptions,
  Tag,
} from './registry-types.ts';

/**
 * The model registry, with MLflow's semantics: one method per operation of MLflow's model registry
 * REST API. Implementations: SqlRegistryStore (SQLite or PostgreSQL through the MetadataStore) and
 * a client of Cairn's server. One contract suite runs against each.
 *
 * Versions are decimal strings ("1", "2", …). Stages are matched case-insensitively.
 * Errors are CairnErrors: NOT_FOUND for an unknown model or version, ALREADY_EXISTS for a taken
 * model name, INVALID_ARGUMENT for bad input, a bad filter, and (as MLflow answers) an unknown alias.
 *
 * @example
 * await registry.createRegisteredModel('churn');
 * const v = await registry.createModelVersion({ name: 'churn', source: 'runs:/abc/model', run_id: 'abc' });
 * await registry.setRegisteredModelAlias('churn', 'champion', v.version);
 */
export interface RegistryStore {
  createRegisteredModel(name: string, options?: CreateRegisteredModelOptions): Promise<RegisteredModel>;
  getRegisteredModel(name: string): Promise<RegisteredModel>;
  /** Versions, tags and aliases follow the model to its new name. */
  renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel>;
  /** Sets the description. */
  updateRegisteredModel(name: string, description: string): Promise<RegisteredModel>;
  /** Deletes the model with its versions, tags and aliases. */
  deleteRegisteredModel(name: string): Promise<void>;
  searchRegisteredModels(options?: SearchRegisteredModelsOptions): Promise<Page<RegisteredModel>>;
  /** The highest version in each of `stages` (every stage when none are given). */
  getLatestVersions(name: string, stages?: string[]): Promise<ModelVersion[]>;
  setRegisteredModelTag(name: string, tag: Tag): Promise<void>;
  /** Deleting a tag the model does not have is not an error. */
  deleteRegisteredModelTag(name: string, key: string): Promise<void>;

  /** Points `alias` at `version`, moving it if it pointed elsewhere. */
  setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void>;
  /** Deleting an alias the model does not have is not an error. */
  deleteRegisteredModelAlias(name: string, alias: string): Promise<void>;
  /** `latest` (any case) names the highest version. */
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion>;

  createModelVersion(options: CreateModelVersionOptions): Promise<ModelVersion>;
  getModelVersion(name: string, version: string): Promise<ModelVersion>;
  /** Sets the description. */
  updateModelVersion(name: string, version: string, description: string): Promise<ModelVersion>;
  /**
   * Moves a version to `stage`; with `archiveExistingVersions` (Staging and Production only) the
   * model's other versions in that stage move to Archived.
   */
  transitionModelVersionStage(
    name: string,
    version: string,
    stage: string,
    archiveExistingVersions?: boolean,
  ): Promise<ModelVersion>;
  /** Deletes the version with its tags and the aliases that point at it. */
  deleteModelVersion(name: string, version: string): Promise<void>;
  searchModelVersions(options?: SearchModelVersionsOptions): Promise<Page<ModelVersion>>;
  setModelVersionTag(name: string, version: string, tag: Tag): Promise<void>;
  deleteModelVersionTag(name: string, version: string, key: string): Promise<void>;
  /** Where the version's files can be read: its source (a `models:/` source resolved). */
  getModelVersionDownloadUri(name: string, version: string): Promise<string>;

  /**
   * Ends the registration of a version created PENDING_REGISTRATION: its status becomes the
   * outcome's (with its tags added, in the same transaction). False when the version is no longer
   * pending (finished by another server, or deleted). Stores that keep no status lack it.
   */
  finishModelVersionRegistration?(
    name: string,
    version: string,
    outcome: RegistrationOutcome,
  ): Promise<boolean>;
  /** The versions still PENDING_REGISTRATION, oldest first. */
  listPendingModelVersions?(): Promise<PendingModelVersion[]>;
}
