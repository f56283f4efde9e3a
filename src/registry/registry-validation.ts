import { posix } from 'node:path';
import { errors } from '../kernel/errors.ts';
import { MODEL_VERSION_STAGES, type ModelVersionStage, type Tag } from './registry-types.ts';

/**
 * MLflow's input rules for the registry (mlflow/utils/validation.py), with its wording, so a
 * client sees the same INVALID_PARAMETER_VALUE messages from Cairn as from MLflow.
 */

export const MAX_TAG_KEY_LENGTH = 250;
export const MAX_TAG_VALUE_LENGTH = 100_000;
export const MAX_ALIAS_LENGTH = 255;
/** The alias MLflow resolves to the highest version; it cannot be set. */
export const LATEST_ALIAS = 'latest';

const TAG_KEY = /^[\p{L}\p{N}_/.\- :]*$/u;
const ALIAS = /^[\p{L}\p{N}_-]*$/u;
const VERSION_LIKE_ALIAS = /^[vV]\d+$/;
const INTEGER = /^\s*[+-]?\d+\s*$/;

const missing = (path: string) => errors.invalid(`Missing value for required parameter '${path}'.`);

/** A required string field, which MLflow's server also refuses when empty. */
export function requireString(value: unknown, path: string): asserts value is string {
  if (typeof value !== 'string' || value === '') throw missing(path);
}

function invalidValue(path: string, value: string, why: string) {
  return errors.invalid(`Invalid value ${JSON.stringify(value)} for parameter '${path}' supplied: ${why}`);
}

function tooLong(what: string, limit: number, value: string | undefined): void {
  if (value !== undefined && value.length > limit)
    throw errors.invalid(`'${what}' exceeds the maximum length of ${limit} characters`);
}

/** Python's posixpath.normpath, which MLflow uses to refuse names that read as other paths. */
function normpath(name: string): string {
  const normal = posix.normalize(name);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

function badPath(path: string, name: string) {
  const norm = normpath(name);
  if (norm === name && norm !== '.' && !norm.startsWith('..') && !norm.startsWith('/')) return undefined;
  return invalidValue(
    path,
    name,
    'Names may be treated as files in certain cases, and must not resolve to other names when treated ' +
      `as such. This name would resolve to '${norm}'`,
  );
}

export function validateModelName(name: unknown, path = 'name'): asserts name is string {
  if (typeof name !== 'string' || name.trim() === '') throw missing(path);
  if (name.includes('/') || name.includes(':'))
    throw errors.invalid(`Invalid model name '${name}'. Names cannot contain '/' or ':'.`);
  const bad = badPath(path, name);
  if (bad) throw bad;
}

export function validateTagKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw missing('key');
  if (!TAG_KEY.test(key))
    throw invalidValue(
      'key',
      key,
      'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), ' +
        'colon(:) and slashes (/).',
    );
  const bad = badPath('key', key);
  if (bad) throw bad;
}

export function validateTag(tag: Tag): void {
  validateTagKey(tag?.key);
  if (typeof tag.value !== 'string') throw errors.invalid('Tag value cannot be None');
  tooLong('key', MAX_TAG_KEY_LENGTH, tag.key);
  tooLong('value', MAX_TAG_VALUE_LENGTH, tag.value);
}

/** The last value given for a key wins, as when MLflow builds its tag dict. */
export function distinctTags(tags: readonly Tag[] | undefined): Tag[] {
  const byKey = new Map<string, string>();
  for (const tag of tags ?? []) {
    validateTag(tag);
    byKey.set(tag.key, tag.value);
  }
  return [...byKey].map(([key, value]) => ({ key, value }));
}

/** A version number given as a decimal string (or a number). */
export function parseVersion(version: unknown): number {
  const text = typeof version === 'number' ? String(version) : version;
  if (typeof text !== 'string' || !INTEGER.test(text))
    throw errors.invalid(`Parameter 'version' must be an integer, got '${String(version)}'.`);
  return Number.parseInt(text.trim(), 10);
}

export function validateAlias(alias: unknown): asserts alias is string {
  if (typeof alias !== 'string' || alias === '')
    throw errors.invalid('Registered model alias name cannot be empty.');
  if (!ALIAS.test(alias))
    throw errors.invalid(
      `Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`,
    );
  tooLong('Registered model alias name', MAX_ALIAS_LENGTH, alias);
}

/** Aliases that could be read as something else: `latest`, and `v1`-style version references. */
export function validateAliasNotReserved(alias: string): void {
  if (alias.toLowerCase() === LATEST_ALIAS)
    throw errors.invalid("'latest' alias name (case insensitive) is reserved.");
  if (VERSION_LIKE_ALIAS.test(alias)) throw errors.invalid(`Version alias name '${alias}' is reserved.`);
}

export function canonicalStage(stage: unknown): ModelVersionStage {
  const wanted = typeof stage === 'string' ? stage.toLowerCase() : undefined;
  const found = MODEL_VERSION_STAGES.find((s) => s.toLowerCase() === wanted);
  if (found === undefined)
    throw errors.invalid(
      `Invalid Model Version stage: ${String(stage)}. Value must be one of ${MODEL_VERSION_STAGES.join(', ')}.`,
    );
  return found;
}

/** A page size: a positive integer no larger than `limit`. */
export function validateMaxResults(maxResults: unknown, limit: number): number {
  if (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 1)
    throw errors.invalid(
      `Invalid value for max_results. It must be a positive integer, but got ${String(maxResults)}`,
    );
  if (maxResults > limit)
    throw errors.invalid(
      `Invalid value for request parameter max_results. It must be at most ${limit}, but got value ${maxResults}`,
    );
  return maxResults;
}
