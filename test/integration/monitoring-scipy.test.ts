/**
 * Every monitoring statistic against SciPy / NumPy on the same inputs, to a relative 1e-9:
 * the KS test in each of its regimes, chi-square, the z-test, normed Wasserstein, Jensen–Shannon
 * and KL, histogram bins, quantiles, Welch's t-test, the two-proportion test, sample sizes and the
 * distribution functions underneath. All reference values come from one Python process.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { summarizeOutcomes, twoProportionTest, welchTTest } from '../../src/monitoring/canary/ab-tests.ts';
import { sampleSizeForMeans, sampleSizeForProportions } from '../../src/monitoring/canary/sample-size.ts';
import { categoricalColumn, numericColumn } from '../../src/monitoring/columns.ts';
import { alignCounts } from '../../src/monitoring/drift/aligned-counts.ts';
import { doaneEdges, sturgesEdges } from '../../src/monitoring/drift/binning.ts';
import { SUMMARY_QUANTILES, summarizeColumn } from '../../src/monitoring/drift/column-summary.ts';
import { driftMethod } from '../../src/monitoring/drift/drift-methods.ts';
import {
  jensenShannonDistance,
  klDivergence,
  wassersteinDistance,
} from '../../src/monitoring/stats/distances.ts';
import {
  chiSquareSf,
  normalCdf,
  normalQuantile,
  normalSf,
  studentTQuantile,
  studentTTwoSided,
} from '../../src/monitoring/stats/distributions.ts';
import { empiricalOf, histogramOf } from '../../src/monitoring/stats/empirical.ts';
import { logGamma } from '../../src/monitoring/stats/gamma.ts';
import { kolmogorovSf, smirnovSf } from '../../src/monitoring/stats/kolmogorov.ts';
import { ksTwoSample } from '../../src/monitoring/stats/ks-two-sample.ts';
import { type Random, seeded } from '../support/random.ts';
import { pythonGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';

const SCRIPT = resolve(import.meta.dirname, '../python/monitoring_reference.py');
const python = pythonGate();

type Ref = number | string;
const decode = (x: Ref): number =>
  x === 'nan'
    ? Number.NaN
    : x === 'inf'
      ? Number.POSITIVE_INFINITY
      : x === '-inf'
        ? Number.NEGATIVE_INFINITY
        : (x as number);

/** |ours − SciPy| ≤ 1e-9·|SciPy|, or ≤ `abs` (for values computed as 1 − x by the reference itself). */
function assertClose(ours: number, theirs: Ref, where: string, abs = 0): void {
  const expected = decode(theirs);
  if (Number.isNaN(expected) || !Number.isFinite(expected)) {
    assert.ok(
      Object.is(ours, expected) || (Number.isNaN(ours) && Number.isNaN(expected)),
      `${where}: ${ours} vs ${expected}`,
    );
    return;
  }
  const tolerance = Math.max(1e-9 * Math.abs(expected), abs);
  assert.ok(
    Math.abs(ours - expected) <= tolerance,
    `${where}: Cairn ${ours}, SciPy ${expected} (difference ${Math.abs(ours - expected)})`,
  );
}

function normals(r: Random, n: number, shift = 0, round?: number): number[] {
  return Array.from({ length: n }, () => {
    const v = r.normal() + shift;
    return round ? Math.round(v * round) / round : v;
  });
}

// --- cases -------------------------------------------------------------------------------------

const r = seeded(20260101);

/** Pairs of samples for ks_2samp, chosen to reach every branch of its p-value. */
const KS_CASES: { a: number[]; b: number[]; label: string }[] = [];
for (const [n1, n2, label] of [
  [5, 7, 'exact, tiny'],
  [40, 40, 'exact, equal sizes'],
  [100, 37, 'exact, unequal sizes'],
  [1000, 3000, 'exact, unequal sizes'],
  [999, 10_000, 'exact, at the 10,000 limit'],
  [100, 20_000, 'asymptotic, n ≤ 140'],
  [1000, 20_000, 'asymptotic, Durbin and Smirnov'],
  [5000, 15_000, 'asymptotic, Pelz–Good'],
  [20_000, 30_000, 'asymptotic, large n'],
] as const)
  for (const shift of [0, 0.03, 0.1, 0.5])
    for (const round of [undefined, 3])
      KS_CASES.push({
        a: normals(r, n1, 0, round),
        b: normals(r, n2, shift, round),
        label: `${label}, shift ${shift}${round ? ', ties' : ''}`,
      });

const FUNCTION_CASES: { f: string; args: number[]; ours: number }[] = [];
for (const n of [3, 10, 50, 140, 141, 500, 952, 5000, 99_999, 100_001, 500_000, 1_500_000])
  for (const x of [0.0004, 0.001, 0.003, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.9]) {
    FUNCTION_CASES.push({ f: 'kstwo_sf', args: [n, x], ours: kolmogorovSf(n, x) });
    FUNCTION_CASES.push({ f: 'smirnov', args: [n, x], ours: smirnovSf(n, x) });
  }
for (const df of [1, 2, 3, 5, 10, 29, 100, 999, 5000, 100_000])
  for (const x of [0.01, 0.5, 1, 3, 10, 50, 200, 1000, 6000, 100_000, 101_000])
    FUNCTION_CASES.push({ f: 'chi2_sf', args: [x, df], ours: chiSquareSf(x, df) });
for (const x of [-40, -20, -8, -3, -1.5, -0.7, -0.3, 0, 0.2, 0.6, 1, 2.5, 5, 9, 30]) {
  FUNCTION_CASES.push({ f: 'ndtr', args: [x], ours: normalCdf(x) });
  FUNCTION_CASES.push({ f: 'norm_sf', args: [x], ours: normalSf(x) });
}
for (const p of [1e-300, 1e-20, 1e-8, 0.001, 0.025, 0.3, 0.5, 0.7, 0.975, 0.999, 1 - 1e-12])
  FUNCTION_CASES.push({ f: 'ndtri', args: [p], ours: normalQuantile(p) });
for (const df of [0.7, 1, 2, 3.5, 10, 57.3, 1000, 100_000])
  for (const t of [0, 0.001, 0.5, 1.96, 3, 10, 40])
    FUNCTION_CASES.push({ f: 't_two_sided', args: [t, df], ours: studentTTwoSided(t, df) });
for (const df of [1, 2, 3.5, 10, 57.3, 1000, 100_000])
  for (const p of [0.001, 0.025, 0.05, 0.5, 0.9, 0.975, 0.9995])
    FUNCTION_CASES.push({ f: 't_ppf', args: [p, df], ours: studentTQuantile(p, df) });
for (const x of [1e-5, 0.1, 0.5, 1, 1.5, 2, 2.5, 3.7, 9.99, 10, 12.5, 100, 1e5, 1e10])
  FUNCTION_CASES.push({ f: 'gammaln', args: [x], ours: logGamma(x) });

function categories(rr: Random, n: number, keys: string[], weights: number[]): string[] {
  return Array.from({ length: n }, () => rr.pick(keys, weights));
}
const CATEGORY_CASES = [
  [categories(r, 800, ['a', 'b', 'c'], [1, 1, 1]), categories(r, 600, ['a', 'b', 'c'], [1, 1, 1])],
  [
    categories(r, 1000, ['a', 'b', 'c', 'd', 'e', 'f'], [5, 4, 3, 2, 1, 1]),
    categories(r, 300, ['a', 'b', 'c', 'd', 'e', 'f'], [4, 4, 4, 2, 1, 1]),
  ],
  [categories(r, 500, ['x', 'y', 'z'], [8, 1, 1]), categories(r, 400, ['x', 'y', 'z', 'new'], [8, 1, 1, 1])],
  [
    categories(r, 5000, ['p', 'q', 'r', 's'], [1, 2, 3, 4]),
    categories(r, 20_000, ['p', 'q', 'r', 's'], [1, 2, 3, 5]),
  ],
].map(([ref, cur]) => {
  const rs = summarizeColumn(categoricalColumn('c', ref as string[]));
  const cs = summarizeColumn(categoricalColumn('c', cur as string[]));
  const aligned = alignCounts(rs, cs);
  return {
    reference: Array.from(aligned.reference),
    current: Array.from(aligned.current),
    ours: driftMethod('chisquare').compute(rs, cs),
  };
});

const Z_CASES = [
  [300, 0.3, 200, 0.3],
  [1000, 0.5, 800, 0.45],
  [40, 0.1, 900, 0.2],
  [5000, 0.02, 5000, 0.05],
].map(([n1, p1, n2, p2]) => {
  const ref = Array.from({ length: n1 as number }, () => (r.bernoulli(p1 as number) ? 'yes' : 'no'));
  const cur = Array.from({ length: n2 as number }, () => (r.bernoulli(p2 as number) ? 'yes' : 'no'));
  const yes = (xs: string[]) => xs.filter((x) => x === 'yes').length;
  const ours = driftMethod('z').compute(
    summarizeColumn(categoricalColumn('c', ref)),
    summarizeColumn(categoricalColumn('c', cur)),
  );
  return { case: { s1: yes(ref), n1: n1 as number, s2: yes(cur), n2: n2 as number, alpha: 0.05 }, ours };
});

const WASSERSTEIN_CASES = [
  [normals(r, 500), normals(r, 700, 0.2)],
  [normals(r, 3000, 0, 2), normals(r, 2000, 0.1, 2)],
  [
    Array.from({ length: 2000 }, () => Math.floor(r.next() * 30)),
    Array.from({ length: 1500 }, () => Math.floor(r.next() * 33)),
  ],
  [Array.from({ length: 100 }, () => 5), normals(r, 100)],
].map(([a, b]) => ({
  a: a as number[],
  b: b as number[],
  ours: driftMethod('wasserstein').compute(
    summarizeColumn(numericColumn('x', a as number[])),
    summarizeColumn(numericColumn('x', b as number[])),
  ).score,
}));
const weighted = { a: [0, 1, 3, 3.5], b: [0.5, 1, 4], aWeights: [0.2, 1.5, 2, 0.01], bWeights: [3, 1, 0.25] };

const SHARES = [
  [
    [0.2, 0.3, 0.5],
    [0.25, 0.25, 0.5],
  ],
  [
    [0.1, 0, 0.9, 0],
    [0.3, 0.1, 0.5, 0.1],
  ],
  [
    [1, 2, 3, 4, 5],
    [5, 4, 3, 2, 1],
  ],
];

const BIN_CASES = [
  { values: normals(r, 3000), integer: false },
  { values: normals(r, 20, 0, 1), integer: false },
  { values: Array.from({ length: 5000 }, () => Math.floor(r.next() ** 3 * 500)), integer: true },
  { values: Array.from({ length: 300 }, () => 7), integer: false },
].flatMap((c) => {
  const sample = normals(r, 500, 0.3);
  return (['sturges', 'doane'] as const).map((rule) => ({ ...c, rule, histogramOf: sample }));
});

const SUMMARY_CASES = [
  normals(r, 1001, 3),
  Array.from({ length: 777 }, () => Math.floor(r.next() * 10)),
  [4.5],
  [1, 2],
];

const WELCH_CASES = [
  [normals(r, 50), normals(r, 70, 0.3)],
  [normals(r, 2000).map((x) => x * 3 + 10), normals(r, 300).map((x) => x + 10.4)],
  [normals(r, 5), normals(r, 8000, 0.01)],
  [normals(r, 30).map((x) => x + 1000), normals(r, 40).map((x) => x + 1000.2)],
].map(([control, treatment]) => ({
  control: control as number[],
  treatment: treatment as number[],
  alpha: 0.05,
}));

const PROPORTION_CASES = [
  { s1: 100, n1: 1000, s2: 130, n2: 1000, alpha: 0.05 },
  { s1: 3, n1: 40, s2: 9, n2: 35, alpha: 0.1 },
  { s1: 5000, n1: 50_000, s2: 5100, n2: 49_000, alpha: 0.01 },
];

const SAMPLE_SIZE_CASES = [
  { kind: 'proportions', baseline: 0.1, effect: 0.02, alpha: 0.05, power: 0.8 },
  { kind: 'proportions', baseline: 0.5, effect: -0.05, alpha: 0.01, power: 0.9 },
  { kind: 'means', sd: 2.5, effect: 0.3, alpha: 0.05, power: 0.8 },
  { kind: 'means', sd: 1, effect: 0.01, alpha: 0.001, power: 0.95 },
];

describe('monitoring statistics against SciPy', { skip: python.skip }, () => {
  let ref: Record<string, unknown[]>;
  const at = (section: string, i: number): unknown => (ref[section] as unknown[])[i];

  before(async () => {
    const dir = await tempDir();
    const path = join(dir, 'cases.json');
    await writeFile(
      path,
      JSON.stringify({
        ks: KS_CASES.map(({ a, b }) => ({ a, b })),
        functions: FUNCTION_CASES.map(({ f, args }) => ({ f, args })),
        chisquare: CATEGORY_CASES.map(({ reference, current }) => ({ reference, current })),
        proportions: [...Z_CASES.map((z) => z.case), ...PROPORTION_CASES],
        wasserstein: [...WASSERSTEIN_CASES.map(({ a, b }) => ({ a, b })), weighted],
        distances: SHARES.map(([p, q]) => ({ p, q })),
        bins: BIN_CASES,
        summary: SUMMARY_CASES.map((values) => ({ values, probs: SUMMARY_QUANTILES })),
        welch: WELCH_CASES,
        sampleSize: SAMPLE_SIZE_CASES,
      }),
    );
    ref = JSON.parse(
      execFileSync(python.value as string, [SCRIPT, path], { encoding: 'utf8', maxBuffer: 64 << 20 }),
    );
  });

  it('two-sample KS: statistic and p-value in every regime of ks_2samp', () => {
    KS_CASES.forEach((c, i) => {
      const ours = ksTwoSample(empiricalOf(Float64Array.from(c.a)), empiricalOf(Float64Array.from(c.b)));
      const [d, p] = at('ks', i) as Ref[];
      assertClose(ours.statistic, d as Ref, `${c.label}: D`);
      assertClose(ours.pValue, p as Ref, `${c.label}: p (${ours.method})`);
    });
  });

  it('distribution functions: kstwo, smirnov, chi-square, normal, t, log-gamma', () => {
    for (const [i, c] of FUNCTION_CASES.entries())
      assertClose(c.ours, (at('functions', i) as Ref[])[0] as Ref, `${c.f}(${c.args.join(', ')})`);
  });

  it("chi-square of current counts against the reference shares (Evidently's use of chisquare)", () => {
    CATEGORY_CASES.forEach((c, i) => {
      const [stat, p] = at('chisquare', i) as Ref[];
      assertClose(c.ours.statistic as number, stat as Ref, `case ${i}: statistic`);
      assertClose(c.ours.score, p as Ref, `case ${i}: p`);
    });
  });

  it("the z-test for two categories equals the pooled two-proportion test (Evidently's form 2·(1 − Φ(|z|)))", () => {
    Z_CASES.forEach((c, i) => {
      const [chi2, p] = at('proportions', i) as Ref[];
      assertClose((c.ours.statistic as number) ** 2, chi2 as Ref, `case ${i}: z²`);
      // Evidently subtracts Φ from 1, which leaves about 1e-16 of absolute error in both.
      assertClose(c.ours.score, p as Ref, `case ${i}: p`, 1e-15);
    });
  });

  it('Wasserstein distance normed by the reference std, and weighted', () => {
    for (const [i, c] of WASSERSTEIN_CASES.entries())
      assertClose(c.ours, (at('wasserstein', i) as Ref[])[0] as Ref, `case ${i}`);
    const u = {
      values: Float64Array.from(weighted.a),
      counts: Float64Array.from(weighted.aWeights),
      total: weighted.aWeights.reduce((s, w) => s + w),
    };
    const v = {
      values: Float64Array.from(weighted.b),
      counts: Float64Array.from(weighted.bWeights),
      total: weighted.bWeights.reduce((s, w) => s + w),
    };
    assertClose(
      wassersteinDistance(u, v),
      (at('wasserstein', WASSERSTEIN_CASES.length) as Ref[])[0] as Ref,
      'weighted',
    );
  });

  it('Jensen–Shannon distance and KL divergence', () => {
    SHARES.forEach(([p, q], i) => {
      const [js, kl] = at('distances', i) as Ref[];
      assertClose(jensenShannonDistance(p as number[], q as number[]), js as Ref, `case ${i}: jensenshannon`);
      assertClose(klDivergence(p as number[], q as number[]), kl as Ref, `case ${i}: entropy`);
    });
  });

  it("histogram bins (NumPy's Sturges and Doane rules) and counts", () => {
    BIN_CASES.forEach((c, i) => {
      const theirs = at('bins', i) as { edges: Ref[]; counts: number[] };
      const dist = empiricalOf(Float64Array.from(c.values));
      const min = dist.values[0] as number;
      const max = dist.values[dist.values.length - 1] as number;
      const edges =
        c.rule === 'sturges'
          ? sturgesEdges(min, max, c.values.length, c.integer)
          : doaneEdges(dist, c.integer);
      assert.equal(edges.length, theirs.edges.length, `case ${i} ${c.rule}: bins`);
      edges.forEach((e, k) => {
        assertClose(e, theirs.edges[k] as Ref, `case ${i} ${c.rule}: edge ${k}`);
      });
      assert.deepEqual(
        Array.from(histogramOf(empiricalOf(Float64Array.from(c.histogramOf)), edges)),
        theirs.counts,
      );
    });
  });

  it('summary mean, population std and linear quantiles', () => {
    SUMMARY_CASES.forEach((values, i) => {
      const s = summarizeColumn(numericColumn('x', values));
      assert.ok(s.kind === 'numeric');
      const theirs = at('summary', i) as { mean: Ref; std: Ref; quantiles: Ref[] };
      assertClose(s.mean, theirs.mean, `case ${i}: mean`);
      assertClose(s.std, theirs.std, `case ${i}: std`, 1e-15 * Math.abs(s.mean));
      s.quantiles.forEach((q, k) => {
        assertClose(q, theirs.quantiles[k] as Ref, `case ${i}: quantile ${SUMMARY_QUANTILES[k]}`);
      });
    });
  });

  it("Welch's t-test: t, p, degrees of freedom and the interval of ttest_ind(equal_var=False)", () => {
    WELCH_CASES.forEach((c, i) => {
      const ours = welchTTest(summarizeOutcomes(c.control), summarizeOutcomes(c.treatment), {
        alpha: c.alpha,
      });
      const [t, p, df, low, high] = at('welch', i) as Ref[];
      assertClose(ours.statistic, t as Ref, `case ${i}: t`);
      assertClose(ours.pValue, p as Ref, `case ${i}: p`);
      assertClose(ours.df as number, df as Ref, `case ${i}: df`);
      assertClose(ours.ci[0], low as Ref, `case ${i}: ci low`);
      assertClose(ours.ci[1], high as Ref, `case ${i}: ci high`);
    });
  });

  it('the two-proportion z-test equals the 2×2 chi-square test; its interval and Cohen’s h', () => {
    PROPORTION_CASES.forEach((c, i) => {
      const ours = twoProportionTest(
        { kind: 'binary', successes: c.s1, trials: c.n1 },
        { kind: 'binary', successes: c.s2, trials: c.n2 },
        { alpha: c.alpha },
      );
      const [chi2, p, low, high, h] = at('proportions', Z_CASES.length + i) as Ref[];
      assertClose(ours.statistic ** 2, chi2 as Ref, `case ${i}: z²`);
      assertClose(ours.pValue, p as Ref, `case ${i}: p`);
      assertClose(ours.ci[0], low as Ref, `case ${i}: ci low`);
      assertClose(ours.ci[1], high as Ref, `case ${i}: ci high`);
      assertClose(ours.standardizedEffect, h as Ref, `case ${i}: h`);
    });
  });

  it('minimum sample sizes', () => {
    SAMPLE_SIZE_CASES.forEach((c, i) => {
      const n = decode((at('sampleSize', i) as Ref[])[0] as Ref);
      const ours =
        c.kind === 'proportions'
          ? sampleSizeForProportions(c.baseline as number, c.effect, { alpha: c.alpha, power: c.power })
          : sampleSizeForMeans(c.sd as number, c.effect, { alpha: c.alpha, power: c.power });
      assert.equal(ours, Math.ceil(n), `case ${i}: ${n}`);
    });
  });
});
