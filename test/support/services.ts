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

export const temporalGate = (): ServiceGate =>
  serviceGate(
    'CAIRN_TEST_TEMPORAL_ADDRESS',
    'Temporal executor tests',
    'host:port of a Temporal dev server, e.g. 127.0.0.1:17233; scripts/services/temporal.sh starts one',
  );
