import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../../kernel/errors.ts';
import type { RouteModule } from '../create-server.ts';
import { DEFAULT_UI_DIR, readUiFiles, type UiFile } from './ui-files.ts';

/**
 * The addresses of the web UI's pages: each answers index.html and the UI draws the page. They
 * are listed, not matched by a catch-all, so an API path that does not exist still answers its
 * API's 404 and never the UI. A new page adds its prefix here and in ROUTE_ROLES.
 */
export const UI_PAGE_ROUTES = [
  '/experiments',
  '/experiments/*',
  '/runs/*',
  '/compare',
  '/models',
  '/models/*',
  '/signin',
] as const;

/** Hashed file names never change content: browsers keep them a year without asking again. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * What the page may load: only this server's scripts, styles, images (and the blob: URLs of
 * artifact previews); no framing by other sites.
 */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * Serves the built web UI (`npm run build:ui`, in ui/dist): `/` and the page addresses of
 * UI_PAGE_ROUTES answer index.html, never cached; `/assets/*` answers the content-hashed
 * scripts and styles, cached for a year. Files are gzipped when the browser accepts it. When
 * the UI was not built, those addresses answer 503 with how to build it.
 */
export function uiRoutes(dir: string = DEFAULT_UI_DIR): RouteModule {
  return (app) => {
    let files: Promise<Map<string, UiFile>> | undefined;
    const load = () => {
      files ??= readUiFiles(dir).catch((err: unknown) => {
        files = undefined;
        throw err;
      });
      return files;
    };

    const page = async (request: FastifyRequest, reply: FastifyReply) => {
      const index = (await load()).get('index.html');
      if (!index)
        throw errors.unavailable('the web UI is not built: run npm run build:ui in the Cairn checkout');
      reply.headers({
        'cache-control': 'no-store',
        'content-security-policy': CSP,
        'x-frame-options': 'DENY',
        'referrer-policy': 'same-origin',
      });
      return send(request, reply, index);
    };
    app.get('/', page);
    for (const route of UI_PAGE_ROUTES) app.get(route, page);

    app.get<{ Params: { '*': string } }>('/assets/*', async (request, reply) => {
      const file = (await load()).get(`assets/${request.params['*']}`);
      if (!file) throw errors.notFound(`no UI asset ${request.url.split('?')[0]}`);
      reply.header('cache-control', IMMUTABLE);
      return send(request, reply, file);
    });
  };
}

function send(request: FastifyRequest, reply: FastifyReply, file: UiFile): FastifyReply {
  reply.headers({ 'content-type': file.type, etag: file.etag, 'x-content-type-options': 'nosniff' });
  reply.header('vary', 'accept-encoding');
  if (request.headers['if-none-match'] === file.etag) return reply.status(304).send();
  if (file.gzip && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? '')))
    return reply.header('content-encoding', 'gzip').send(file.gzip);
  return reply.send(file.body);
}
