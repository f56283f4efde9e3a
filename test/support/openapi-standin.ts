import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv, type ValidateFunction } from 'ajv';

/**
 * An HTTP server standing in for a provider's API that checks every request against the
 * provider's OpenAPI description before answering it: the method and path must be an operation
 * of the description, every path and query parameter must be declared and match its schema,
 * required ones present, and a JSON body must match the operation's request-body schema. A
 * request that fails is answered 599 and recorded in `violations`, which a test asserts empty.
 */
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation | unknown>>;
  components?: Record<string, Record<string, unknown>>;
}

interface OpenApiOperation {
  operationId?: string;
  parameters?: unknown[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: unknown }> };
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: unknown;
}

export interface StandinRequest {
  operationId: string;
  method: string;
  path: string;
  params: Record<string, string>;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface StandinReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

interface Compiled {
  method: string;
  template: string;
  regex: RegExp;
  names: string[];
  op: OpenApiOperation;
  checks?: { params: Parameter[]; validators: Map<string, ValidateFunction>; body?: ValidateFunction };
}

export class OpenApiStandin {
  readonly violations: string[] = [];
  readonly calls: StandinRequest[] = [];
  url = '';
  readonly #doc: OpenApiDocument;
  readonly #ops: Compiled[] = [];
  readonly #ajv = new Ajv({ strict: false, allErrors: true, coerceTypes: false });
  readonly #paramAjv = new Ajv({ strict: false, allErrors: true, coerceTypes: true });
  readonly #handler: (request: StandinRequest) => StandinReply;
  readonly #prefix: string;
  #server: Server | undefined;

  /** `prefix`: the part of the URL before the description's paths (e.g. `/api/v4` is in GitLab's paths already). */
  constructor(doc: OpenApiDocument, handler: (request: StandinRequest) => StandinReply, prefix = '') {
    this.#doc = doc;
    this.#handler = handler;
    this.#prefix = prefix;
    for (const ajv of [this.#ajv, this.#paramAjv]) {
      ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i);
      for (const f of ['int32', 'int64']) ajv.addFormat(f, { type: 'number', validate: Number.isInteger });
      for (const f of ['uri', 'email', 'uuid', 'date', 'binary', 'byte']) ajv.addFormat(f, true);
    }
    for (const [template, item] of Object.entries(doc.paths))
      for (const method of METHODS) {
        const op = item[method] as OpenApiOperation | undefined;
        if (!op) continue;
        const names: string[] = [];
        const pattern = template
          .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
          .replace(/\{([^}]+)\}/g, (_m, n: string) => {
            names.push(n);
            return '([^/]+)';
          });
        this.#ops.push({
          method: method.toUpperCase(),
          template,
          regex: new RegExp(`^${pattern}$`),
          names,
          op,
        });
      }
  }

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const reply = this.#answer(req.method ?? 'GET', req.url ?? '/', req.headers, raw);
        res.writeHead(reply.status, { 'Content-Type': 'application/json', ...reply.headers });
        res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise((resolve) => this.#server?.close(resolve));
  }

  #answer(method: string, rawUrl: string, headers: IncomingHttpHeaders, raw: string): StandinReply {
    const url = new URL(rawUrl, 'http://standin');
    const path = url.pathname.startsWith(this.#prefix)
      ? url.pathname.slice(this.#prefix.length)
      : url.pathname;
    const candidates = this.#ops.filter((o) => o.method === method && o.regex.test(path));
    // A literal segment wins over a parameter (`/issues/comments/{id}` over `/issues/{number}/…`).
    const compiled = candidates.sort((a, b) => a.names.length - b.names.length)[0];
    if (!compiled) return this.#violation(`${method} ${path}: no such operation in the description`);
    const match = compiled.regex.exec(path) as RegExpExecArray;
    const params = Object.fromEntries(
      compiled.names.map((n, i) => [n, decodeURIComponent(match[i + 1] as string)]),
    );
    const query = Object.fromEntries(url.searchParams.entries());
    const checks = this.#checks(compiled);
    const where = `${method} ${compiled.template}`;
    const problems: string[] = [];
    const declared = new Set(checks.params.map((p) => `${p.in}:${p.name}`));
    for (const name of Object.keys(query))
      if (!declared.has(`query:${name}`)) problems.push(`query parameter ${name} is not declared`);
    for (const p of checks.params) {
      if (p.in !== 'path' && p.in !== 'query') continue;
      const value = p.in === 'path' ? params[p.name] : query[p.name];
      if (value === undefined) {
        if (p.required) problems.push(`${p.in} parameter ${p.name} is required`);
        continue;
      }
      const validate = checks.validators.get(`${p.in}:${p.name}`);
      // Path and query values are text: coerced to the schema's type, as a server reads them.
      if (validate && !validate({ v: value }))
        problems.push(`${p.in} parameter ${p.name}=${value}: ${this.#paramAjv.errorsText(validate.errors)}`);
    }
    let body: unknown;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        problems.push('the body is not JSON');
      }
      if (!checks.body) problems.push('the operation takes no body');
      else if (!checks.body(body)) problems.push(`body: ${this.#ajv.errorsText(checks.body.errors)}`);
    } else if (compiled.op.requestBody?.required) problems.push('the body is required');
    if (problems.length > 0) return this.#violation(`${where}: ${problems.join('; ')}`);
    const request: StandinRequest = {
      operationId: compiled.op.operationId ?? where,
      method,
      path,
      params,
      query,
      headers,
      body,
    };
    this.calls.push(request);
    return this.#handler(request);
  }

  #violation(message: string): StandinReply {
    this.violations.push(message);
    return { status: 599, body: { message } };
  }

  #checks(c: Compiled): NonNullable<Compiled['checks']> {
    if (c.checks) return c.checks;
    const params = (c.op.parameters ?? []).map((p) => this.#deref(p) as Parameter);
    const validators = new Map<string, ValidateFunction>();
    for (const p of params)
      if (p.schema) {
        validators.set(
          `${p.in}:${p.name}`,
          this.#paramAjv.compile({ type: 'object', properties: { v: p.schema } }),
        );
      }
    const schema = (this.#deref(c.op.requestBody) as OpenApiOperation['requestBody'])?.content?.[
      'application/json'
    ]?.schema;
    c.checks = { params, validators, ...(schema ? { body: this.#ajv.compile(schema as object) } : {}) };
    return c.checks;
  }

  /** `node` with every local `$ref` replaced by what it names. */
  #deref(node: unknown, depth = 0): unknown {
    if (depth > 40 || node === null || typeof node !== 'object') return node;
    if (Array.isArray(node)) return node.map((n) => this.#deref(n, depth + 1));
    const ref = (node as { $ref?: unknown }).$ref;
    if (typeof ref === 'string' && ref.startsWith('#/')) {
      let target: unknown = this.#doc;
      for (const part of ref.slice(2).split('/')) target = (target as Record<string, unknown>)[part];
      return this.#deref(target, depth + 1);
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, this.#deref(v, depth + 1)]));
  }
}
