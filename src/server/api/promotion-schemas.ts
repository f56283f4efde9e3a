import { API_ERROR_SCHEMA } from './openapi-schemas.ts';

/**
 * Schemas of Cairn's promotion API (/api/v1/models/…): results recorded on model versions, the
 * promotion check, guarded alias moves and their audit trail.
 */
const str = { type: 'string' } as const;
const name = { type: 'string', minLength: 1, description: 'the registered model' } as const;
const version = { type: 'string', pattern: '^[0-9]+$', description: 'the version number' } as const;
const alias = {
  type: 'string',
  pattern: '^[A-Za-z0-9_-]+$',
  minLength: 1,
  description: 'the alias',
} as const;
const errorsOf = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, API_ERROR_SCHEMA]));

const gateVerdict = {
  type: 'object',
  required: ['gate', 'ok'],
  properties: {
    gate: str,
    check_id: str,
    passed: { type: 'boolean' },
    checked_at: { type: 'integer' },
    ok: { type: 'boolean', description: 'whether this gate lets the alias move' },
  },
} as const;

export const VERSION_CHECK_SCHEMA = {
  type: 'object',
  description: 'A gate result or an evaluation recorded on a model version.',
  required: ['id', 'name', 'version', 'kind', 'result', 'created_at', 'created_by'],
  properties: {
    id: str,
    name: str,
    version: str,
    kind: { type: 'string', enum: ['gate', 'evaluation'] },
    gate: str,
    passed: { type: 'boolean' },
    result: { type: 'object', additionalProperties: true, description: 'metrics, rules, data digest' },
    created_at: { type: 'integer', description: 'milliseconds since the epoch' },
    created_by: str,
  },
} as const;

export const PROMOTION_DECISION_SCHEMA = {
  type: 'object',
  description: 'Whether an alias may move to a version under the server’s gate policy.',
  required: ['name', 'alias', 'version', 'allowed', 'gated', 'gates'],
  properties: {
    name: str,
    alias: str,
    version: str,
    allowed: { type: 'boolean' },
    gated: { type: 'boolean', description: 'whether any gate guards the alias' },
    gates: { type: 'array', items: gateVerdict },
    message: str,
  },
} as const;

export const ALIAS_EVENT_SCHEMA = {
  type: 'object',
  description: 'One alias move in the audit trail.',
  required: ['id', 'name', 'alias', 'action', 'forced', 'gates', 'actor', 'at'],
  properties: {
    id: str,
    name: str,
    alias: str,
    action: { type: 'string', enum: ['set', 'delete'] },
    from_version: str,
    to_version: str,
    forced: { type: 'boolean', description: 'moved past a failed or missing gate result' },
    reason: str,
    gates: { type: 'array', items: gateVerdict },
    actor: str,
    at: { type: 'integer', description: 'milliseconds since the epoch' },
  },
} as const;

const versionParams = {
  type: 'object',
  required: ['name', 'version'],
  properties: { name, version },
} as const;
const aliasParams = { type: 'object', required: ['name', 'alias'], properties: { name, alias } } as const;

export const RECORD_CHECK_ROUTE_SCHEMA = {
  operationId: 'recordModelVersionCheck',
  tags: ['promotion'],
  summary: 'Record a gate result or an evaluation on a model version',
  description:
    '`cairn gate` and `cairn eval` record their results here. The caller (authenticated user or token) is recorded as `created_by`; without authentication, `actor` is.',
  params: versionParams,
  body: {
    type: 'object',
    required: ['kind', 'result'],
    additionalProperties: false,
    properties: {
      kind: { type: 'string', enum: ['gate', 'evaluation'] },
      gate: { type: 'string', minLength: 1 },
      passed: { type: 'boolean' },
      result: { type: 'object', additionalProperties: true },
      actor: { type: 'string', maxLength: 200 },
    },
    if: { required: ['kind'], properties: { kind: { const: 'gate' } } },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's keyword.
    then: { required: ['gate', 'passed'] },
  },
  response: { 200: VERSION_CHECK_SCHEMA, ...errorsOf(404) },
} as const;

export const LIST_CHECKS_ROUTE_SCHEMA = {
  operationId: 'listModelVersionChecks',
  tags: ['promotion'],
  summary: "A model version's gate results and evaluations, newest first",
  params: versionParams,
  querystring: {
    type: 'object',
    properties: {
      kind: { type: 'string', enum: ['gate', 'evaluation'] },
      gate: { type: 'string', minLength: 1 },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['checks'],
      properties: { checks: { type: 'array', items: VERSION_CHECK_SCHEMA } },
    },
    ...errorsOf(404),
  },
} as const;

export const CHECK_PROMOTION_ROUTE_SCHEMA = {
  operationId: 'checkPromotion',
  tags: ['promotion'],
  summary: 'Whether an alias may move to a model version',
  description:
    'The promotion check alone: changes nothing. Allowed when no gate guards the alias or every guarding gate’s latest result on the version passed.',
  params: versionParams,
  querystring: { type: 'object', required: ['alias'], properties: { alias } },
  response: { 200: PROMOTION_DECISION_SCHEMA, ...errorsOf(404) },
} as const;

export const MOVE_ALIAS_ROUTE_SCHEMA = {
  operationId: 'promoteModelVersion',
  tags: ['promotion'],
  summary: 'Point an alias at this version, enforcing its gates',
  description:
    'Refused (412) when a gate guards the alias and its latest result on the version failed or is missing, unless `force` with a `reason` (which needs the admin role when authentication is on). Every move is recorded in the audit trail.',
  params: versionParams,
  body: {
    type: 'object',
    required: ['alias'],
    additionalProperties: false,
    properties: {
      alias,
      force: { type: 'boolean' },
      reason: { type: 'string', maxLength: 2000 },
      actor: { type: 'string', maxLength: 200 },
    },
  },
  response: { 200: ALIAS_EVENT_SCHEMA, ...errorsOf(404, 412) },
} as const;

export const DELETE_ALIAS_ROUTE_SCHEMA = {
  operationId: 'deleteModelAlias',
  tags: ['promotion'],
  summary: 'Remove an alias, recording it in the audit trail',
  params: aliasParams,
  querystring: { type: 'object', properties: { actor: { type: 'string', maxLength: 200 } } },
  response: { 200: { type: 'object', properties: { event: ALIAS_EVENT_SCHEMA } }, ...errorsOf(404) },
} as const;

export const ALIAS_HISTORY_ROUTE_SCHEMA = {
  operationId: 'getAliasHistory',
  tags: ['promotion'],
  summary: "A registered model's alias moves, oldest first",
  params: { type: 'object', required: ['name'], properties: { name } },
  response: {
    200: {
      type: 'object',
      required: ['events'],
      properties: { events: { type: 'array', items: ALIAS_EVENT_SCHEMA } },
    },
    ...errorsOf(404),
  },
} as const;
