// A tenant uploading a key-derivation bomb must get a refusal, and nobody else a delay: the
// service keeps answering /healthz within 100 ms throughout, also while it reads a legitimate
// file at the iteration limit (forge derives in JavaScript: that read runs in a worker thread).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backends } from '../fixtures/backends.ts';
import { opensslPkcs12 } from '../fixtures/openssl-pki.ts';
import { tempDir, writeFiles } from '../fixtures/pki.ts';
import { startWorld, type World } from '../fixtures/service.ts';

const [sqlite] = await backends();

/**
 * Call /healthz back to back while `during` runs; the slowest answer, in ms. On a loaded
 * machine one answer can be slow because the OS did not schedule the process: a derivation on
 * the event loop is slow every time, a scheduling hiccup is not — so the best of three runs counts.
 */
async function slowestHealthz(world: World, during: () => Promise<void>): Promise<{ slowest: number; calls: number }> {
  let best = { slowest: Infinity, calls: 0 };
  for (let run = 0; run < 3 && best.slowest >= 100; run++) {
    const r = await slowestHealthzOnce(world, during);
    if (r.slowest < best.slowest) best = r;
  }
  return best;
}

async function slowestHealthzOnce(world: World, during: () => Promise<void>): Promise<{ slowest: number; calls: number }> {
  let done = false;
  let slowest = 0;
  let calls = 0;
  const poll = (async () => {
    while (!done) {
      const started = performance.now();
      assert.equal((await fetch(`${world.url}/healthz`)).status, 200);
      slowest = Math.max(slowest, performance.now() - started);
      calls++;
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  try {
    await during();
  } finally {
    done = true;
    await poll;
  }
  return { slowest, calls };
}

describe('key-derivation bombs in uploads', () => {
  it('refuse a PKCS#12 asking for 8,388,607 iterations while /healthz answers within 100 ms', async () => {
    const world = await startWorld(sqlite!);
    const tenant = await world.api(world.operatorKey, 'POST', '/v1/tenants', { name: 'Bomber' });
    const key = (await world.api(world.operatorKey, 'POST', `/v1/tenants/${tenant.body.id}/api-keys`, {})).body.key as string;
    const dir = tempDir();
    const files = writeFiles(dir, { 'c.pem': world.pki.mpnsClient.cert, 'k.pem': world.pki.mpnsClient.key });
    const honest = opensslPkcs12(dir, 'i.p12', { certPath: files['c.pem']!, keyPath: files['k.pem']!, password: 'pw', legacy: true, extra: ['-iter', '65536', '-maciter'] });
    // 65,536 is a three-byte DER INTEGER (02 03 01 00 00); 8,388,607 has the same length.
    const bomb = Buffer.from(honest);
    const count = Buffer.from([2, 3, 1, 0, 0]);
    for (let at = bomb.indexOf(count); at !== -1; at = bomb.indexOf(count, at + 1)) Buffer.from([2, 3, 0x7f, 0xff, 0xff]).copy(bomb, at);
    assert.notDeepEqual(bomb, honest);

    let refused: { status: number; body: { code: string; detail?: string } } | undefined;
    const bombRun = await slowestHealthz(world, async () => {
      refused = await world.api(key, 'PUT', `/v1/tenants/${tenant.body.id}/mpns/credential`, { pkcs12: bomb.toString('base64'), password: 'pw' });
    });
    assert.equal(refused!.status, 422);
    assert.equal(refused!.body.code, 'KDF_ITERATIONS_LIMIT', JSON.stringify(refused!.body));
    assert.ok(bombRun.slowest < 100, `/healthz took ${bombRun.slowest.toFixed(0)} ms during the bomb upload`);

    let accepted: { status: number; body: unknown } | undefined;
    const honestRun = await slowestHealthz(world, async () => {
      accepted = await world.api(key, 'PUT', `/v1/tenants/${tenant.body.id}/mpns/credential`, { pkcs12: honest.toString('base64'), password: 'pw' });
    });
    assert.equal(accepted!.status, 200, JSON.stringify(accepted!.body));
    assert.ok(honestRun.calls > 3, `only ${honestRun.calls} health checks ran during the upload`);
    assert.ok(honestRun.slowest < 100, `/healthz took ${honestRun.slowest.toFixed(0)} ms while a 65,536-iteration file was read`);
  });
});
