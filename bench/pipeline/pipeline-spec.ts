/**
 * The benchmark pipeline: 50 stages with fan-out and fan-in, written once and emitted as both
 * `cairn.yaml` and `dvc.yaml` (the same text serves both: Cairn reads DVC's stage format).
 *
 *   prepare ─┬─ stats_a, stats_b ───────────────────────────────────────────┐
 *            └─ features_0..15 → train_0..15 → eval_0..7 → compare_0..3 → summarize_0..1 → report
 *
 * Every command does a little real work (awk over the prepared rows) and sleeps SLEEP_S, so
 * that parallelism shows in wall time; it appends `<stage> <start ns> <end ns>` to
 * $BENCH_TIMES, from which the fan-out's wall time and the sum of its branches are measured.
 * train_0..3 read `train.fast.lr` and the other trains `train.slow.lr`: changing the first
 * reruns those 4 trains and what depends on their results (2 evals, a compare, a summarize and
 * the report, unless an output comes out the same). Params are declared as well as interpolated.
 */
import { stringify } from 'yaml';

export const SLEEP_S = 0.2;
export const FEATURES = 16;
export const FAST_TRAINS = 4;

export interface BenchStage {
  name: string;
  work: string;
  deps: string[];
  params?: string[];
  outs?: string[];
  metrics?: string[];
}

export const PARAMS = {
  prepare: { min_sum: 1.0 },
  features: { scale: 2.5 },
  train: { fast: { lr: 0.1 }, slow: { lr: 0.01 } },
  evaluate: { bias: 0.5 },
};

export function benchStages(): BenchStage[] {
  const stages: BenchStage[] = [
    {
      name: 'prepare',
      work: `awk -F, 'NR == 1 { print; next } { s = $2 + $3 + $4 + $5; if (s > \${prepare.min_sum}) print }' data/input.csv > data/prepared.csv`,
      deps: ['data/input.csv'],
      params: ['prepare.min_sum'],
      outs: ['data/prepared.csv'],
    },
  ];
  for (const [side, col] of [
    ['a', 2],
    ['b', 3],
  ] as const)
    stages.push({
      name: `stats_${side}`,
      work: `awk -F, 'NR > 1 { n++; s += $${col}; q += $${col} * $${col} } END { print s / n, q / n - (s / n) ^ 2 }' data/prepared.csv > stats/${side}.txt`,
      deps: ['data/prepared.csv'],
      outs: [`stats/${side}.txt`],
    });
  for (let i = 0; i < FEATURES; i++)
    stages.push({
      name: `features_${i}`,
      work: `awk -F, 'NR > 1 && $1 % ${FEATURES} == ${i} { print $1 "," $2 * \${features.scale} + $3 "," $6 }' data/prepared.csv > features/f${i}.csv`,
      deps: ['data/prepared.csv'],
      params: ['features.scale'],
      outs: [`features/f${i}.csv`],
    });
  for (let i = 0; i < FEATURES; i++) {
    const lr = i < FAST_TRAINS ? 'train.fast.lr' : 'train.slow.lr';
    stages.push({
      name: `train_${i}`,
      work: `awk -F, '{ w += \${${lr}} * ($2 - w) * ($3 > 0 ? 1 : -1) } END { printf "%.6f\\n", w }' features/f${i}.csv > models/m${i}.txt`,
      deps: [`features/f${i}.csv`],
      params: [lr],
      outs: [`models/m${i}.txt`],
    });
  }
  for (let j = 0; j < FEATURES / 2; j++)
    stages.push({
      name: `eval_${j}`,
      work: `cat models/m${2 * j}.txt models/m${2 * j + 1}.txt | awk '{ s += $1 } END { printf "{\\"score\\": %.6f}\\n", s + \${evaluate.bias} }' > evals/e${j}.json`,
      deps: [`models/m${2 * j}.txt`, `models/m${2 * j + 1}.txt`],
      params: ['evaluate.bias'],
      outs: [`evals/e${j}.json`],
    });
  for (let k = 0; k < FEATURES / 4; k++)
    stages.push({
      name: `compare_${k}`,
      work: `cat evals/e${2 * k}.json evals/e${2 * k + 1}.json | tr -dc '0-9.\\n-' | sort -n | tail -1 > compare/c${k}.txt`,
      deps: [`evals/e${2 * k}.json`, `evals/e${2 * k + 1}.json`],
      outs: [`compare/c${k}.txt`],
    });
  for (let l = 0; l < FEATURES / 8; l++)
    stages.push({
      name: `summarize_${l}`,
      work: `cat compare/c${2 * l}.txt compare/c${2 * l + 1}.txt | sort -n | tail -1 > summary/s${l}.txt`,
      deps: [`compare/c${2 * l}.txt`, `compare/c${2 * l + 1}.txt`],
      outs: [`summary/s${l}.txt`],
    });
  stages.push({
    name: 'report',
    work: `printf '{"best": %s, "spread_a": "%s", "spread_b": "%s"}\\n' "$(cat summary/s0.txt summary/s1.txt | sort -n | tail -1)" "$(cat stats/a.txt)" "$(cat stats/b.txt)" > report.json`,
    deps: ['summary/s0.txt', 'summary/s1.txt', 'stats/a.txt', 'stats/b.txt'],
    metrics: ['report.json'],
  });
  return stages;
}

/** The pipeline file both tools read: each command wrapped to sleep and log its start and end. */
export function pipelineYaml(stages: readonly BenchStage[]): string {
  const out: Record<string, unknown> = {};
  for (const s of stages) {
    const dirs = [
      ...new Set([...(s.outs ?? []), ...(s.metrics ?? [])].map((p) => p.split('/').slice(0, -1).join('/'))),
    ]
      .filter((d) => d !== '')
      .map((d) => `mkdir -p ${d} && `)
      .join('');
    out[s.name] = {
      cmd: `t0=$(date +%s%N); ${dirs}${s.work} && sleep ${SLEEP_S} && echo "${s.name} $t0 $(date +%s%N)" >> "$BENCH_TIMES"`,
      deps: s.deps,
      ...(s.params ? { params: s.params } : {}),
      ...(s.outs ? { outs: s.outs } : {}),
      ...(s.metrics ? { metrics: s.metrics.map((m) => ({ [m]: { cache: false } })) } : {}),
    };
  }
  return stringify({ stages: out }, { lineWidth: 0 });
}

/** `rows` rows of `id,x1,x2,x3,x4,label` from a fixed seed. */
export function inputCsv(rows: number): string {
  let state = 42;
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const lines = ['id,x1,x2,x3,x4,label'];
  for (let i = 0; i < rows; i++) {
    const x = [random(), random(), random(), random()].map((v) => v.toFixed(4));
    lines.push(`${i},${x.join(',')},${random() > 0.5 ? 1 : 0}`);
  }
  return `${lines.join('\n')}\n`;
}
