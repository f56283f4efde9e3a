#!/usr/bin/env node
// Entry point of the `cairn` command. In a clone it runs the TypeScript sources directly (Node's
// type stripping); in an installed package it runs the compiled `dist/`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(
    `error: Cairn needs Node.js 22.13 or newer, found ${process.version}; install Node 24 LTS (https://nodejs.org, or \`nvm install 24\`), or in a clone of Cairn run \`npm install\` and then \`npx cairn\`\n`,
  );
  process.exit(1);
}

// Reuse compiled (and type-stripped) code across runs: startup time matters for a CLI.
module.enableCompileCache?.();

const source = new URL('../src/cli/main.ts', import.meta.url);
const compiled = new URL('../dist/cli/main.js', import.meta.url);

if (existsSync(source)) {
  if (!process.features.typescript) {
    // Node 22.13–22.17 strips types only behind a flag: run again with it.
    const r = spawnSync(
      process.execPath,
      [
        '--experimental-strip-types',
        '--no-warnings=ExperimentalWarning',
        fileURLToPath(import.meta.url),
        ...process.argv.slice(2),
      ],
      { stdio: 'inherit' },
    );
    process.exit(r.status ?? 1);
  }
  const { run } = await import(source.href);
  await run();
} else {
  const { run } = await import(compiled.href);
  await run();
}
