import { API_ERROR_SCHEMA } from './openapi-schemas.ts';

/**
 * Schemas of Cairn's model-lineage API (/api/v1/models/…), used for validation and serialization
 * and collected into the OpenAPI document.
 */
const str = { type: 'string' } as const;
const nullableStr = { type: ['string', 'null'] } as const;

const dataset = {
  type: 'object',
  required: ['name', 'digest'],
  properties: { name: str, digest: str },
} as const;

const lockEntry = {
  type: ['object', 'null'],
  description: 'What the `cairn run` that made the model recorded: its stages, outputs and command.',
  properties: {
    command: str,
    params_overrides: str,
    stages: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: { status: str, duration_ms: { type: 'number' } },
      },
    },
    outputs: { type: 'object', additionalProperties: str },
  },
} as const;

export const MODEL_LINEAGE_SCHEMA = {
  type: 'object',
  description:
    'A model version and its lineage: version → run → datasets → commit → lock entry → package hash.',
  required: ['model_version', 'logged_model', 'run', 'datasets', 'git_commit', 'lock_entry', 'package'],
  properties: {
    model_version: {
      type: 'object',
      required: [
        'name',
        'version',
        'source',
        'download_uri',
        'current_stage',
        'aliases',
        'creation_timestamp',
      ],
      properties: {
        name: str,
        version: str,
        source: str,
        download_uri: str,
        current_stage: str,
        aliases: { type: 'array', items: str },
        creation_timestamp: { type: 'integer' },
      },
    },
    logged_model: {
      type: ['object', 'null'],
      properties: { model_id: str, name: str, artifact_uri: str, found: { type: 'boolean' } },
    },
    run: {
      type: ['object', 'null'],
      properties: {
        run_id: str,
        found: { type: 'boolean' },
        run_name: str,
        experiment_id: str,
        status: str,
        artifact_uri: str,
        lifecycle_stage: str,
      },
    },
    datasets: { type: 'array', items: dataset },
    git_commit: nullableStr,
    lock_entry: lockEntry,
    package: {
      type: 'object',
      required: ['hash', 'verified'],
      properties: {
        hash: { ...nullableStr, description: 'sha256 of the package manifest, recorded at registration' },
        verified: {
          type: ['boolean', 'null'],
          description: 'With ?verify=true: whether the files still hash to `hash`',
        },
        files: { type: 'integer' },
        size: { type: 'integer' },
      },
    },
  },
} as const;

export const LINEAGE_ROUTE_SCHEMA = {
  operationId: 'getModelVersionLineage',
  tags: ['models'],
  summary: "A model version's lineage",
  description:
    'What the server recorded when the version was created (its `cairn.` tags), with the run and ' +
    'logged model looked up now: version → run → datasets → git commit → lock entry → package hash.',
  params: {
    type: 'object',
    required: ['name', 'version'],
    properties: {
      name: { type: 'string', minLength: 1, description: 'the registered model' },
      version: { type: 'string', pattern: '^[0-9]+$', description: 'the version number' },
    },
  },
  querystring: {
    type: 'object',
    properties: { verify: { type: 'boolean', description: 'hash the package again and compare' } },
  },
  response: { 200: MODEL_LINEAGE_SCHEMA, 404: API_ERROR_SCHEMA },
} as const;
