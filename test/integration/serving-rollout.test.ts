/**
 * Progressive delivery inside the inference server, over real HTTP: traffic split by weight
 * (statistically), sticky assignment, requests aimed at a variant or version, shadows that fail
 * or hang without touching a response, atomic swaps under load with zero failed requests, a
 * failed change that leaves the old version serving, and the admin API.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { errors } from '../../src/kernel/errors.ts';
import type { ServedModel } from '../../src/serving/runtime/served-model.ts';
import { parseServingConfig } from '../../src/serving/serving-config.ts';
import {
  postJson,
  type RunningServer,
  type ServingModels,
  sampleRows,
  servingModels,
  startServing,
  v2Body,
} from '../support/serving.ts';

let models: ServingModels;
let server: RunningServer;
const TOKEN = 'test-admin-token-0123456789';
/** Settings of its own, so that the swap endpoint's sessions are not shared with the others. */
const SEPARATE = { batching: { max_queue: 100 } };

function assertShare(count: number, n: number, p: number, what: string): void {
  const sigma = Math.sqrt(n * p * (1 - p));
  assert.ok(
    Math.abs(count - n * p) <= 5 * sigma,
    `${what}: ${count} of ${n}, expected ${n * p} ± ${(5 * sigma).toFixed(0)}`,
  );
}

/** Sends `n` requests, `concurrency` at a time; returns each answer's status and variant. */
async function hammer(
  path: string,
  n: number,
  headers: (i: number) => Record<string, string> = () => ({}),
  concurrency = 16,
): Promise<{ status: number; variant: string | null; version: string | null }[]> {
  const out: { status: number; variant: string | null; version: string | null }[] = [];
  let next = 0;
  const body = JSON.stringify(v2Body(sampleRows(2)));
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const r = await postJson(`${server.url}${path}`, body, headers(i));
        out[i] = {
          status: r.status,
          variant: r.headers.get('x-cairn-variant'),
          version: r.headers.get('x-cairn-model-version'),
        };
      }
    }),
  );
  return out;
}

function endpointConfig(name: string, variants: object[], extra: object = {}) {
  return { name, variants, ...extra };
}

before(async () => {
  models = await servingModels();
  server = await startServing(
    {
      endpoints: [
        endpointConfig('split', [
          { name: 'primary', model: models.logistic, weight: 80 },
          { name: 'canary', model: models.gbdt, weight: 20 },
        ]),
        endpointConfig(
          'ab',
          [
            { name: 'a', model: models.logistic, weight: 1 },
            { name: 'b', model: models.gbdt, weight: 1 },
          ],
          { sticky: 'header:x-user-id', shadows: [{ name: 'shadow', model: models.regression }] },
        ),
        endpointConfig('swap', [{ name: 'primary', model: models.logistic }], SEPARATE),
      ],
    },
    { server: { adminToken: TOKEN }, predictionLog: { flush_interval_ms: 60_000 } },
  );
});

after(async () => {
  await server?.close();
});

describe('traffic split', () => {
  it('splits requests between variants by weight', async () => {
    const n = 1000;
    const answers = await hammer('/v2/models/split/infer', n);
    assert.ok(answers.every((a) => a.status === 200));
    assertShare(answers.filter((a) => a.variant === 'canary').length, n, 0.2, 'canary');
  });

  it('keeps each sticky key on one variant, and splits the keys by weight', async () => {
    const users = 300;
    const answers = await hammer('/v2/models/ab/infer', users * 2, (i) => ({
      'x-user-id': `user-${i % users}`,
    }));
    const seen = new Map<number, Set<string>>();
    answers.forEach((a, i) => {
      assert.equal(a.status, 200);
      const variants = seen.get(i % users) ?? new Set<string>();
      variants.add(a.variant as string);
      seen.set(i % users, variants);
    });
    assert.ok(
      [...seen.values()].every((v) => v.size === 1),
      'a key reached two variants',
    );
    assertShare([...seen.values()].filter((v) => v.has('b')).length, users, 0.5, 'variant b');
  });

  it('serves the variant or version a request names', async () => {
    const named = await postJson(`${server.url}/v2/models/split/infer`, v2Body(sampleRows(1)), {
      'x-cairn-variant': 'canary',
    });
    assert.equal(named.headers.get('x-cairn-variant'), 'canary');
    assert.equal(named.json.model_version, named.headers.get('x-cairn-model-version'));
    const version = named.json.model_version as string;
    const byVersion = await postJson(
      `${server.url}/v2/models/split/versions/${version}/infer`,
      v2Body(sampleRows(1)),
    );
    assert.equal(byVersion.headers.get('x-cairn-variant'), 'canary');
    const unknown = await postJson(`${server.url}/v2/models/split/infer`, v2Body(sampleRows(1)), {
      'x-cairn-variant': 'nope',
    });
    assert.equal(unknown.status, 404);
    assert.match(unknown.json.error as string, /endpoint split has no variant nope: it has primary, canary/);
  });
});

describe('shadow traffic', () => {
  const shadowModel = (): ServedModel =>
    server.service.endpoint('ab')?.routing.shadows[0]?.model as ServedModel;

  it('mirrors requests to the shadow off the request path and logs its answers under the same request id', async () => {
    const r = await postJson(`${server.url}/v2/models/ab/infer`, v2Body(sampleRows(3)), {
      'x-request-id': 'mirror-1',
      'x-user-id': 'someone',
    });
    assert.equal(r.status, 200);
    assert.notEqual(r.headers.get('x-cairn-variant'), 'shadow');
    assert.deepEqual(
      (r.json.outputs as { name: string }[]).map((o) => o.name),
      ['label', 'probability'],
      'the caller gets the variant’s answer, not the shadow’s',
    );
    await server.service.drain();
    await new Promise((resolve) => setImmediate(resolve));
    await server.service.drain();
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(
      metrics,
      /cairn_inference_requests_total\{endpoint="ab",model="regression",version="[0-9a-f]+",variant="shadow",code="200"\} [1-9]/,
    );
    await server.service.flushPredictionLog();
    const logged = readdirSync(server.logDir as string, { recursive: true })
      .filter((f) => String(f).endsWith('.jsonl'))
      .flatMap((f) =>
        readFileSync(join(server.logDir as string, String(f)), 'utf8')
          .trim()
          .split('\n'),
      )
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((row) => row.request_id === 'mirror-1');
    assert.deepEqual(
      logged.map((row) => [row.variant === 'shadow', row.shadow, row.model, row.row]).sort(),
      [
        [false, false, r.headers.get('x-cairn-model'), 0],
        [false, false, r.headers.get('x-cairn-model'), 1],
        [false, false, r.headers.get('x-cairn-model'), 2],
        [true, true, 'regression', 0],
        [true, true, 'regression', 1],
        [true, true, 'regression', 2],
      ].sort(),
    );
    const shadowRow = logged.find((row) => row.shadow && row.row === 0) as {
      outputs: Record<string, unknown>;
    };
    assert.deepEqual(Object.keys(shadowRow.outputs), ['prediction']);
  });

  it('answers every request correctly while the shadow fails or never answers', async () => {
    const model = shadowModel();
    const original = model.predict;
    const reference = await postJson(`${server.url}/v2/models/ab/infer`, v2Body(sampleRows(4, 3)), {
      'x-user-id': 'fixed',
    });
    let calls = 0;
    try {
      for (const broken of [
        () => Promise.reject(errors.internal('shadow exploded')),
        () => new Promise<never>(() => undefined),
        () => {
          throw new Error('shadow threw synchronously');
        },
      ]) {
        model.predict = (() => {
          calls++;
          return broken();
        }) as typeof model.predict;
        const answers = await Promise.all(
          Array.from({ length: 30 }, () =>
            postJson(`${server.url}/v2/models/ab/infer`, v2Body(sampleRows(4, 3)), { 'x-user-id': 'fixed' }),
          ),
        );
        for (const a of answers) {
          assert.equal(a.status, 200);
          assert.deepEqual(a.json.outputs, reference.json.outputs);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      model.predict = original;
    }
    assert.ok(calls >= 60, `the shadow was called ${calls} times`);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(
      metrics,
      /cairn_inference_errors_total\{endpoint="ab",model="regression",version="[0-9a-f]+",variant="shadow",code="500"\} [1-9]/,
    );
  });
});

describe('changing what is served', () => {
  const config = (model: string) =>
    parseServingConfig({
      endpoints: [
        endpointConfig('split', [
          { name: 'primary', model: models.logistic, weight: 80 },
          { name: 'canary', model: models.gbdt, weight: 20 },
        ]),
        endpointConfig('swap', [{ name: 'primary', model }], SEPARATE),
      ],
    });

  it('swaps versions under load without failing a request, then unloads the old version', async () => {
    const versions = new Set<string>();
    const failures: string[] = [];
    let stop = false;
    const load = Array.from({ length: 8 }, async () => {
      const body = JSON.stringify(v2Body(sampleRows(2)));
      while (!stop) {
        const r = await postJson(`${server.url}/v2/models/swap/infer`, body);
        if (r.status !== 200) failures.push(`${r.status} ${JSON.stringify(r.json)}`);
        else versions.add(r.json.model_version as string);
      }
    });
    const oldModel = server.service.endpoint('swap')?.routing.variants[0]?.model as ServedModel;
    for (const model of [models.gbdt, models.logistic, models.gbdt]) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await server.service.apply(config(model));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    stop = true;
    await Promise.all(load);
    assert.deepEqual(failures, []);
    assert.equal(versions.size, 2, 'both versions answered');
    const after = await postJson(`${server.url}/v2/models/swap/infer`, v2Body(sampleRows(1)));
    assert.equal(after.json.model_name, 'swap');
    const status = server.service.status();
    const swap = status.endpoints.find((e) => e.name === 'swap');
    assert.equal(swap?.variants[0]?.model.name, 'gbdt');
    assert.equal(after.json.model_version, swap?.variants[0]?.model.version);
    await server.service.drain();
    for (let i = 0; i < 100 && oldModel.state !== 'unloaded'; i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(oldModel.state, 'unloaded', 'the replaced logistic session was released');
    assert.equal(
      server.service.endpoint('ab'),
      undefined,
      'an endpoint left out of the config is no longer served',
    );
  });

  it('keeps serving the old version when the new one cannot be loaded, and says why', async () => {
    const before = server.service.status();
    await assert.rejects(server.service.apply(config('/nowhere/model')), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'NOT_FOUND');
      assert.match(
        err.message,
        /endpoint swap, variant primary \(\/nowhere\/model\): no model package directory/,
      );
      return true;
    });
    assert.deepEqual(server.service.status(), before);
    const r = await postJson(`${server.url}/v2/models/swap/infer`, v2Body(sampleRows(1)));
    assert.equal(r.status, 200);
  });

  it('applies configurations through the admin API, with its token only', async () => {
    const url = `${server.url}/api/v1/serving`;
    assert.equal((await fetch(url)).status, 401);
    assert.equal((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    const auth = { authorization: `Bearer ${TOKEN}` };
    const status = (await (await fetch(url, { headers: auth })).json()) as {
      ready: boolean;
      endpoints: { name: string }[];
    };
    assert.equal(status.ready, true);
    const put = (body: unknown) =>
      fetch(url, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const applied = await put({
      endpoints: [endpointConfig('swap', [{ name: 'primary', model: models.logistic }])],
    });
    assert.equal(applied.status, 200);
    const after = (await applied.json()) as {
      endpoints: { name: string; variants: { model: { name: string } }[] }[];
    };
    assert.deepEqual(
      after.endpoints.map((e) => [e.name, e.variants[0]?.model.name]),
      [['swap', 'logistic']],
    );
    const invalid = await put({
      endpoints: [endpointConfig('swap', [{ name: 'primary', model: models.logistic, weight: -1 }])],
    });
    assert.equal(invalid.status, 400);
    assert.match(
      ((await invalid.json()) as { message: string }).message,
      /endpoint swap: variants\[0\]\.weight must be a number from 0/,
    );
  });
});
