/**
 * Builds the web UI (ui/) into static files in ui/dist/ that `cairn server` serves at `/`:
 * index.html plus content-hashed assets under assets/.
 */
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { build } from 'vite';

const root = resolve(import.meta.dirname, '..', 'ui');
await build({
  root,
  configFile: false,
  logLevel: 'warn',
  plugins: [react()],
  build: { outDir: resolve(root, 'dist'), emptyOutDir: true, sourcemap: false, target: 'es2022' },
});
