import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WrkResult {
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  /** Socket errors (connect, read, write, timeout) and answers with a status ≥ 400. */
  errors: number;
  non2xx: number;
}

/**
 * Runs wrk (one thread, leaving the other cores to the server) against `url` with a POST body;
 * a Lua `done` hook prints the summary as JSON.
 */
export function wrk(
  dir: string,
  url: string,
  body: string,
  contentType: string,
  connections: number,
  seconds: number,
): Promise<WrkResult> {
  const script = join(dir, `wrk-${Math.random().toString(36).slice(2)}.lua`);
  writeFileSync(
    script,
    `wrk.method = "POST"
wrk.body = [==[${body}]==]
wrk.headers["Content-Type"] = "${contentType}"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\n{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`,
  );
  const child = spawn(
    'wrk',
    ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', script, url],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{"requests"'));
      if (code !== 0 || !line) return reject(new Error(`wrk failed (${code}): ${out}`));
      const r = JSON.parse(line) as Record<string, number>;
      const socket = (r.connect ?? 0) + (r.read ?? 0) + (r.write ?? 0) + (r.timeout ?? 0);
      resolve({
        connections,
        seconds,
        requests: r.requests as number,
        rps: (r.requests as number) / ((r.duration_us as number) / 1e6),
        p50ms: (r.p50_us as number) / 1000,
        p99ms: (r.p99_us as number) / 1000,
        errors: socket + (r.status ?? 0),
        non2xx: r.status as number,
      });
    });
  });
}
