import crypto from 'node:crypto';
import fs from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { stripInChild } from './console-strip.ts';
import { replyProblem } from './problem.ts';

/** Where the browser code lives; its files are listed once, at startup. */
export const CONSOLE_DIR = path.resolve(import.meta.dirname, '../console');
/** The URL prefix of the console's assets; the page itself is at `/`. */
export const CONSOLE_PREFIX = '/console/';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  // Browser code is TypeScript on disk and JavaScript on the wire (types stripped once, in a child process: console-strip.ts).
  '.ts': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Strict by default: only this origin's scripts and styles (no inline script or style), the API
 * on the same origin, no framing, no plugins. Downloads use blob: URLs and the chart is inline SVG.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  file: string;
  type: string;
}

interface Built {
  body: Buffer;
  etag: string;
}

/**
 * The web console: `/` is its page, `/console/<file>` its assets. Only files found in
 * src/console when the server starts are served, looked up by exact URL in that list, so no
 * request path can reach anything else (`..`, encoded slashes and the like simply miss).
 */
export function consoleRoutes(app: FastifyInstance, dir: string = CONSOLE_DIR): void {
  const assets = listAssets(dir);
  const built = new Map<string, Built>();
  // Every browser module's JavaScript, made at the first request for one of them.
  let scripts: Promise<Map<string, string>> | null = null;
  const scriptOf = async (file: string): Promise<string> => {
    scripts ??= stripInChild([...assets.values()].filter((a) => a.file.endsWith('.ts')).map((a) => a.file)).catch(() => {
      // No child could run (a process limit, say): strip here, at the memory cost the child avoids, rather than fail the console.
      scripts = null;
      return new Map();
    });
    return (await scripts).get(file) ?? stripTypes(fs.readFileSync(file, 'utf8'));
  };

  async function serve(url: string, reply: FastifyReply, ifNoneMatch: string | undefined): Promise<FastifyReply> {
    const asset = assets.get(url);
    if (!asset) return replyProblem(reply, 'ROUTE_NOT_FOUND', `${url} is not part of the console. Open / for the console, or see /openapi.json for the API.`);
    let entry = built.get(url);
    if (!entry) {
      entry = built.get(url) ?? build(asset.file.endsWith('.ts') ? Buffer.from(await scriptOf(asset.file)) : fs.readFileSync(asset.file));
      built.set(url, entry);
    }
    reply
      .header('content-type', asset.type)
      // Revalidate every time (cheap with the ETag): an upgrade never leaves a stale mix of modules.
      .header('cache-control', 'no-cache')
      .header('etag', entry.etag)
      .header('content-security-policy', CONSOLE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY');
    if (ifNoneMatch === entry.etag) return reply.status(304).send();
    return reply.send(entry.body);
  }

  app.get('/', { schema: { hide: true } }, (request, reply) => serve(`${CONSOLE_PREFIX}index.html`, reply, request.headers['if-none-match']));
  // Browsers and bookmark tools ask for /favicon.ico whatever the page links: give them the icon.
  app.get('/favicon.ico', { schema: { hide: true } }, (request, reply) => serve(`${CONSOLE_PREFIX}icon.svg`, reply, request.headers['if-none-match']));
  app.get(`${CONSOLE_PREFIX}*`, { schema: { hide: true } }, (request, reply) => serve(request.url.split('?')[0]!, reply, request.headers['if-none-match']));
}

/** Every servable file under `dir`, keyed by its URL. */
function listAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  // A build without the console (an API-only package) still serves the API.
  if (!fs.existsSync(dir)) return assets;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const type = CONTENT_TYPES[path.extname(entry.name)];
    if (!type) continue;
    const file = path.join(entry.parentPath, entry.name);
    const url = CONSOLE_PREFIX + path.relative(dir, file).split(path.sep).join('/');
    assets.set(url, { file, type });
  }
  return assets;
}

function build(body: Buffer): Built {
  return { body, etag: `"${crypto.createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/**
 * The fallback when no child process could strip the console (console-strip.ts), in this process.
 * Node marks `stripTypeScriptTypes` experimental and prints an ExperimentalWarning on the
 * service's stderr at its first use. The warning is about the API's stability, which the pinned
 * Node 24 and the console tests already cover, and an operator can do nothing about it: drop
 * that one warning, pass every other through.
 */
function stripTypes(source: string): string {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning instanceof Error ? warning.message : warning).includes('stripTypeScriptTypes')) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return stripTypeScriptTypes(source, { mode: 'strip' });
  } finally {
    process.emitWarning = emitWarning;
  }
}
