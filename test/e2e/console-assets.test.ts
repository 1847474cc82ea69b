import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import { CONSOLE_CSP, CONSOLE_DIR, consoleRoutes } from '../../src/server/console-routes.ts';
import { tempDir } from '../fixtures/pki.ts';

// How the console's files are served, checked without a browser: types, headers, caching,
// and that nothing outside the listed files can be reached.
async function app() {
  const instance = Fastify();
  consoleRoutes(instance);
  instance.get('/v1/tenants', async () => ({ items: [] }));
  await instance.ready();
  return instance;
}

describe('console assets', () => {
  it('/ is the console page with a strict CSP, nosniff and revalidation', async () => {
    const server = await app();
    const page = await server.inject({ url: '/' });
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(page.headers['content-security-policy'], CONSOLE_CSP);
    assert.match(CONSOLE_CSP, /default-src 'self'/);
    assert.doesNotMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.match(page.body, /<script type="module" src="\/console\/app\.ts"><\/script>/);
    assert.doesNotMatch(page.body, /<script>|<style>| style=|https?:\/\/(?!identity\.apple\.com)/, 'no inline code, no external resources');
  });

  it('/favicon.ico answers with the console icon, not a 404', async () => {
    const server = await app();
    const icon = await server.inject({ url: '/favicon.ico' });
    assert.equal(icon.statusCode, 200);
    assert.equal(icon.headers['content-type'], 'image/svg+xml');
    assert.match(icon.body, /<svg/);
  });

  it('browser TypeScript is served as JavaScript with its types stripped', async () => {
    const server = await app();
    const script = await server.inject({ url: '/console/api.ts' });
    assert.equal(script.statusCode, 200);
    assert.equal(script.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.match(script.body, /export class ApiError extends Error/);
    assert.doesNotMatch(script.body, /import type|: Problem\b|<T>/);
  });

  it('every browser module strips to JavaScript that parses as an ES module', async () => {
    const server = await app();
    const dir = tempDir('certpush-console-js-');
    const files = fs.readdirSync(CONSOLE_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length > 10);
    for (const file of files) {
      const response = await server.inject({ url: `/console/${file.split(path.sep).join('/')}` });
      assert.equal(response.statusCode, 200, file);
      const out = path.join(dir, `${file.replace(/[\\/]/g, '_')}.mjs`);
      fs.writeFileSync(out, response.body);
      const check = spawnSync(process.execPath, ['--check', out], { encoding: 'utf8' });
      assert.equal(check.status, 0, `${file}: ${check.stderr}`);
    }
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const server = await app();
    const first = await server.inject({ url: '/console/styles.css' });
    assert.equal(first.headers['content-type'], 'text/css; charset=utf-8');
    const again = await server.inject({ url: '/console/styles.css', headers: { 'if-none-match': String(first.headers.etag) } });
    assert.equal(again.statusCode, 304);
  });

  it('serves only the listed files: traversal and unknown files are 404', async () => {
    const server = await app();
    for (const url of ['/console/../server/app.ts', '/console/%2e%2e/server/app.ts', '/console/..%2fserver%2fapp.ts', '/console/views/../../server/app.ts', '/console/', '/console/nope.ts', '/console/app.ts.map', '/package.json']) {
      const response = await server.inject({ url });
      assert.equal(response.statusCode, 404, `${url} answered ${response.statusCode}`);
      assert.doesNotMatch(response.body, /buildApp|"dependencies"/);
    }
  });

  it('leaves the API and the service routes alone', async () => {
    const server = await app();
    const api = await server.inject({ url: '/v1/tenants' });
    assert.deepEqual(api.json(), { items: [] });
  });

  it('serves each browser module exactly as Node strips it', async () => {
    const server = await app();
    const files = fs.readdirSync(CONSOLE_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    for (const file of files) {
      const response = await server.inject({ url: `/console/${file.split(path.sep).join('/')}` });
      assert.equal(response.body, stripTypeScriptTypes(fs.readFileSync(path.join(CONSOLE_DIR, file), 'utf8'), { mode: 'strip' }), file);
    }
  });

  it('strips in a child process: the serving process never loads the type stripper (~17 MB kept for its life)', () => {
    // A process whose modules come from a warm compile cache does not load the stripper to run
    // them (as `certpush serve` after its first start); serving every console file must not load it either.
    const cache = tempDir('certpush-console-cache-');
    const script = `
      import Fastify from 'fastify';
      import fs from 'node:fs';
      const { consoleRoutes, CONSOLE_DIR } = await import(${JSON.stringify(pathToFileURL(path.resolve('src/server/console-routes.ts')).href)});
      const app = Fastify();
      consoleRoutes(app);
      for (const file of fs.readdirSync(CONSOLE_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
        const r = await app.inject({ url: '/console/' + file });
        if (r.statusCode !== 200) throw new Error(file + ' answered ' + r.statusCode);
      }
      process.stdout.write(JSON.stringify(process.moduleLoadList.filter((m) => m.includes('amaro'))));
    `;
    const run = () => spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_COMPILE_CACHE: cache } });
    const warm = run();
    assert.equal(warm.status, 0, warm.stderr);
    const served = run();
    assert.equal(served.status, 0, served.stderr);
    assert.deepEqual(JSON.parse(served.stdout), []);
  });
});
