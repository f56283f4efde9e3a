import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './tmp-dir.ts';

export const ADULT_DATA = fileURLToPath(
  new URL('../../../shared/data/uci-adult/adult.data', import.meta.url),
);

export const ADULT_COLUMNS = [
  'age',
  'workclass',
  'fnlwgt',
  'education',
  'education_num',
  'marital_status',
  'occupation',
  'relationship',
  'race',
  'sex',
  'capital_gain',
  'capital_loss',
  'hours_per_week',
  'native_country',
  'income',
] as const;

/** The shared data set is not part of the repository: without it a suite skips (or fails in CI). */
export function adultGate(): string | false {
  if (existsSync(ADULT_DATA)) return false;
  const line = `skipped UCI Adult model tests: ${ADULT_DATA} is missing (the shared test data, see DESIGN.md "Testing")`;
  if (process.env.CAIRN_TEST_REQUIRE_ALL === '1') throw new Error(`${line}, but CAIRN_TEST_REQUIRE_ALL=1`);
  process.stderr.write(`${line}\n`);
  return line;
}

/**
 * UCI Adult as a CSV with a header (the raw file has none and separates fields with ", "), `?`
 * written as an empty field so the missing values arrive as missing.
 */
export async function adultCsv(dir?: string): Promise<string> {
  const out = join(dir ?? (await tempDir('cairn-adult-')), 'adult.csv');
  const lines = readFileSync(ADULT_DATA, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) =>
      l
        .split(', ')
        .map((f) => (f === '?' ? '' : f))
        .join(','),
    );
  await writeFile(out, `${ADULT_COLUMNS.join(',')}\n${lines.join('\n')}\n`);
  return out;
}

/** A small deterministic generator for test data (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticOptions {
  rows?: number;
  seed?: number;
  /** binary (yes/no), three classes (a/b/c), or a number. */
  target?: 'binary' | 'multiclass' | 'regression';
}

/**
 * A CSV whose target depends on two numbers and a colour, with missing values in each feature:
 * x1, x2 (numbers), color (red/green/blue), y.
 */
export async function syntheticCsv(options: SyntheticOptions = {}): Promise<string> {
  const rows = options.rows ?? 1500;
  const rnd = seeded(options.seed ?? 1);
  const colors = ['red', 'green', 'blue'];
  const lines = ['x1,x2,color,y'];
  for (let i = 0; i < rows; i++) {
    const x1 = rnd() * 10 - 5;
    const x2 = rnd() * 4;
    const color = colors[Math.floor(rnd() * 3)] as string;
    const z =
      0.8 * x1 - 1.2 * x2 + (color === 'red' ? 1.5 : color === 'blue' ? -1 : 0) + 2 + (rnd() - 0.5) * 3;
    let y: string;
    if (options.target === 'regression') y = (z * 3 + 10).toFixed(4);
    else if (options.target === 'multiclass') y = z < -1 ? 'a' : z < 2 ? 'b' : 'c';
    else y = z > 0 ? 'yes' : 'no';
    const miss = rnd();
    lines.push(
      [
        miss < 0.04 ? '' : x1.toFixed(4),
        miss > 0.97 ? '' : x2.toFixed(4),
        miss > 0.5 && miss < 0.53 ? '' : color,
        y,
      ].join(','),
    );
  }
  const path = join(await tempDir('cairn-synthetic-'), 'data.csv');
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}
