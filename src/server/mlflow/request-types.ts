/**
 * Protobuf's JSON mapping, as MLflow's server parses request bodies, is strict about JSON types:
 * a string field takes only a JSON string (`{"run_id": 31}` is refused), an int64 a number or a
 * numeric string, a double a number or a string ("NaN", "1.5"), a bool only true or false, a
 * repeated field only an array, a message only an object; null means "not set". The server's
 * validator coerces types (query strings need it), so bodies are checked against their route's
 * JSON schema here first. This runs on every MLflow route with a body schema.
 */

interface Schema {
  type?: string | readonly string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  required?: readonly string[];
}

type JsonType = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

/** The JSON types protobuf's JSON mapping reads into a field of each JSON-schema type. */
const ACCEPTED: Record<string, readonly JsonType[]> = {
  string: ['string'],
  integer: ['number', 'string'],
  number: ['number', 'string'],
  boolean: ['boolean'],
  array: ['array'],
  object: ['object'],
};

function jsonType(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const t = typeof value;
  return t === 'boolean' || t === 'number' || t === 'string' ? t : 'object';
}

/** The names MLflow's messages give JSON values (Python's types). */
function pythonType(value: unknown): string {
  switch (jsonType(value)) {
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float';
    case 'string':
      return 'str';
    case 'array':
      return 'list';
    case 'object':
      return 'dict';
    default:
      return 'NoneType';
  }
}

/** JSON as Python's `json.dumps(value, sort_keys=True, separators=(",", ":"))` writes it. */
function compactJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(compactJson).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${compactJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

interface Mistyped {
  path: string;
  value: unknown;
}

function mistyped(schema: Schema | undefined, value: unknown, path: string): Mistyped | undefined {
  if (schema === undefined || value === undefined || value === null) return undefined;
  const types = schema.type === undefined ? [] : [schema.type].flat();
  const actual = jsonType(value);
  if (types.length > 0 && !types.some((t) => ACCEPTED[t]?.includes(actual))) return { path, value };
  if (actual === 'array' && schema.items)
    for (const [i, item] of (value as unknown[]).entries()) {
      const found = mistyped(schema.items, item, `${path}[${i}]`);
      if (found) return found;
    }
  if (actual === 'object' && schema.properties)
    for (const [key, sub] of Object.entries(schema.properties)) {
      const found = mistyped(sub, (value as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
      if (found) return found;
    }
  return undefined;
}

/**
 * The message MLflow's server gives for a body field of the wrong JSON type (the first one, in the
 * order of the route's schema, as MLflow checks fields), or undefined when the types are right.
 * Checking stops at a required field that is missing: the schema validator reports that one.
 */
export function bodyTypeError(schema: unknown, body: unknown): string | undefined {
  const s = schema as Schema | undefined;
  if (s?.properties === undefined || jsonType(body) !== 'object') return undefined;
  const fields = body as Record<string, unknown>;
  const required = new Set(s.required ?? []);
  for (const [key, sub] of Object.entries(s.properties)) {
    const value = fields[key];
    if (required.has(key) && (value === undefined || value === null || value === '')) return undefined;
    const found = mistyped(sub, value, key);
    if (found) return typeErrorMessage(found.path, found.value);
  }
  return undefined;
}

/** MLflow's message for a field `path` whose value has the wrong type. */
export function typeErrorMessage(path: string, value: unknown): string {
  return (
    `Invalid value ${compactJson(value)} for parameter '${path}' supplied:  ` +
    `Hint: Value was of type '${pythonType(value)}'. See the API docs for more information about request parameters.`
  );
}
