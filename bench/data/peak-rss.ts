/**
 * `node bench/data/peak-rss.ts <out.json> <cairn args…>`: runs one `cairn` command in this process
 * (exactly as bin/cairn.js does), then writes `{code, maxRssKiB}` to out.json: the peak resident
 * memory of the whole process (worker threads and DuckDB included), from getrusage.
 */
import { writeFileSync } from 'node:fs';
import { main } from '../../src/cli/main.ts';

const [out, ...args] = process.argv.slice(2) as [string, ...string[]];
const code = await main(args);
writeFileSync(out, JSON.stringify({ code, maxRssKiB: process.resourceUsage().maxRSS }));
process.exitCode = code;
