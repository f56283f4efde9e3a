import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Suites that need a real service (PostgreSQL, the S3 server, the Python clients) run when its
 * setting is present. Without it they skip with one line saying how to enable them, so a
 * newcomer's `npm test` passes on the embedded backends; with CAIRN_TEST_REQUIRE_ALL=1 (set by
 * .ci/run) a missing setting fails the run instead.
 */
export interface ServiceGate {
  /** The setting's value, or undefined when the suite is skipped. */
  value: string | undefined;
  /** Pass as `{ skip }` to describe(). */
  skip: string | false;
}

const announced = new Set<string>();

export function serviceGate(envVar: string, what: string, howToEnable: string): ServiceGate {
  const value = process.env[envVar];
  if (value) return { value, skip: false };
  if (process.env.CAIRN_TEST_REQUIRE_ALL === '1')
    throw new Error(`${envVar} is not set but CAIRN_TEST_REQUIRE_ALL=1: the ${what} suite cannot run`);
  const line = `skipped ${what}: set ${envVar} to enable (${howToEnable})`;
  if (!announced.has(line)) {
    announced.add(line);
    process.stderr.write(`${line}\n`);
  }
  return { value: undefined, skip: line };
}

export const pgGate = (): ServiceGate =>
  serviceGate(
    'CAIRN_TEST_PG_URL',
    'PostgreSQL tests',
    'e.g. postgresql://cairn:cairn@127.0.0.1:5433/cairn_test; scripts/services/postgres.sh starts one',
  );

export const s3Gate = (): ServiceGate =>
  serviceGate(
    'CAIRN_TEST_S3_ENDPOINT',
    'S3 tests',
    'e.g. http://127.0.0.1:9100 with CAIRN_TEST_S3_ACCESS_KEY / CAIRN_TEST_S3_SECRET_KEY; scripts/services/minio.sh starts one',
  );

export const pythonGate = (): ServiceGate =>
  serviceGate(
    'CAIRN_TEST_PYTHON',
    'Python reference tests',
    'path to a python with pandas, scikit-learn, scipy; scripts/services/python-venv.sh makes one',
  );

export const chromiumGate = (): ServiceGate =>
  serviceGate(
    'CAIRN_TEST_CHROMIUM',
    'browser rendering tests',
    'path to a Chromium binary, e.g. /usr/bin/chromium (apt-get install -y chromium)',
  );

export const straceGate = (): ServiceGate =>
  serviceGate(
    'CAIRN_TEST_STRACE',
    'system-call order tests (fsync before rename)',
    'path to strace, e.g. /usr/bin/strace (apt-get install -y strace)',
  );

/**
 * The UCI Adult data set (`../shared/data/uci-adult/adult.data` beside the repository, or
 * CAIRN_TEST_ADULT_DATA): not part of the repository, so checks that read it are gated like a
 * service, and required in CI.
 */
export function adultDataGate(): ServiceGate {
  const path =
    process.env.CAIRN_TEST_ADULT_DATA ??
    fileURLToPath(new URL('../../../shared/data/uci-adult/adult.data', import.meta.url));
  if (existsSync(path)) return { value: path, skip: false };
  const what = `UCI Adult checks (${path} not found)`;
  if (process.env.CAIRN_TEST_REQUIRE_ALL === '1')
    throw new Error(`the UCI Adult data set is missing but CAIRN_TEST_REQUIRE_ALL=1: ${what} cannot run`);
  const line = `skipped ${what}: set CAIRN_TEST_ADULT_DATA to the file's path to enable`;
  if (!announced.has(line)) {
    announced.add(line);
    process.stderr.write(`${line}\n`);
  }
  return { value: undefined, skip: line };
}

export const temporalGate = (): ServiceGate =>
  serviceGate(
    'CAIRN_TEST_TEMPORAL_ADDRESS',
    'Temporal executor tests',
    'host:port of a Temporal dev server, e.g. 127.0.0.1:17233; scripts/services/temporal.sh starts one',
  );

/**
 * Evidently runs in a venv of its own (it does not import with the main venv's pandas). Without
 * CAIRN_TEST_EVIDENTLY_PYTHON, the venv scripts/services/evidently-venv.sh makes in the repository
 * is used when it exists.
 */
export const evidentlyGate = (): ServiceGate => {
  const local = resolve(import.meta.dirname, '../../.venv-evidently/bin/python');
  if (!process.env.CAIRN_TEST_EVIDENTLY_PYTHON && existsSync(local)) return { value: local, skip: false };
  return serviceGate(
    'CAIRN_TEST_EVIDENTLY_PYTHON',
    'Evidently comparison tests',
    'path to a python with Evidently and a pandas it supports; scripts/services/evidently-venv.sh makes one',
  );
};

/**
 * `promtool` (Debian package `prometheus`) on PATH, for the /metrics format check: skipped with
 * one line without it, a failure with CAIRN_TEST_REQUIRE_ALL=1 (.ci/run installs it).
 */
export function promtoolGate(): ServiceGate {
  const found = spawnSync('promtool', ['--version'], { stdio: 'ignore' });
  if (!found.error && found.status === 0) return { value: 'promtool', skip: false };
  const line = 'skipped the promtool check of /metrics: install it with apt-get install -y prometheus';
  if (process.env.CAIRN_TEST_REQUIRE_ALL === '1')
    throw new Error(`promtool is not on PATH but CAIRN_TEST_REQUIRE_ALL=1: ${line}`);
  if (!announced.has(line)) {
    announced.add(line);
    process.stderr.write(`${line}\n`);
  }
  return { value: undefined, skip: line };
}
