// At most N API requests in their handlers at once, the rest waiting in arrival order
// (src/server/admission.ts): the delivery engine's turns in the shared queues wait behind a
// handful of requests, not hundreds. Connections are still accepted, /healthz never waits, a
// client that leaves while its request waits frees its place, and no request waits forever.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { resolveConfig } from '../../src/config.ts';
import { AdmissionLimiter } from '../../src/server/admission.ts';
import { buildApp } from '../../src/server/app.ts';
import type { ServiceContext } from '../../src/service/context.ts';
import { createSecretBox } from '../../src/store/secret-box.ts';
import { openStore } from '../../src/store/store.ts';
import { atEnd, tempDir } from '../fixtures/pki.ts';

/** Lets the microtasks of admissions run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('API admission', () => {
  it('lets `limit` requests in at once and the rest in the order they came, one per finished turn', async () => {
    const limiter = new AdmissionLimiter(2);
    const admitted: number[] = [];
    const turns = Array.from({ length: 5 }, (_, i) => {
      const turn = limiter.enter();
      void turn.admitted.then(() => admitted.push(i));
      return turn;
    });
    await settle();
    assert.deepEqual(admitted, [0, 1]);
    assert.equal(limiter.active, 2);
    assert.equal(limiter.waiting, 3);
    turns[1]!.done();
    turns[1]!.done(); // a second end of the same turn counts for nothing
    await settle();
    assert.deepEqual(admitted, [0, 1, 2]);
    assert.equal(limiter.active, 2);
    turns[3]!.done(); // it left while waiting: it is never let in and holds no place
    assert.equal(limiter.waiting, 1);
    turns[0]!.done();
    turns[2]!.done();
    await settle();
    assert.deepEqual(admitted, [0, 1, 2, 4]);
    assert.equal(limiter.active, 1);
    turns[4]!.done();
    assert.equal(limiter.active, 0);
    assert.throws(() => new AdmissionLimiter(0), /whole number ≥ 1/);
  });

  it('never has more than `limit` in, lets none wait while a place is free, and admits in arrival order', () => {
    type Op = { kind: 'enter' } | { kind: 'done'; pick: number };
    const op = fc.oneof(fc.constant({ kind: 'enter' } as Op), fc.record({ kind: fc.constant('done' as const), pick: fc.nat() }));
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 150 }), (limit, ops) => {
      const limiter = new AdmissionLimiter(limit);
      // Admission is seen synchronously through `active`: a turn is in when the count rose at enter or at a done.
      const open: Array<{ id: number; done: () => void }> = [];
      const waitingIds: number[] = [];
      const inside = new Set<number>();
      const order: number[] = [];
      let next = 0;
      for (const o of ops) {
        const before = limiter.active;
        if (o.kind === 'enter') {
          const id = next++;
          const turn = limiter.enter();
          open.push({ id, done: turn.done });
          if (limiter.active > before) {
            inside.add(id);
            order.push(id);
          } else waitingIds.push(id);
        } else if (open.length > 0) {
          const [t] = open.splice(o.pick % open.length, 1);
          const wasInside = inside.delete(t!.id);
          if (!wasInside) waitingIds.splice(waitingIds.indexOf(t!.id), 1);
          t!.done();
          if (wasInside && limiter.active === before) {
            // A place freed went to the longest waiter.
            const first = waitingIds.shift()!;
            inside.add(first);
            order.push(first);
          }
        }
        assert.ok(limiter.active <= limit, 'never more than the limit inside');
        assert.equal(limiter.active, inside.size);
        assert.equal(limiter.waiting, waitingIds.length);
        if (limiter.waiting > 0) assert.equal(limiter.active, limit, 'nobody waits while a place is free');
      }
      assert.deepEqual(order, [...order].sort((a, b) => a - b), 'let in in the order they came');
    }), { numRuns: 500 });
  });

  it('over HTTP: holds the API past the limit while /healthz answers, and frees the place of a client that left while waiting', async () => {
    const store = await openStore({ dataDir: tempDir('certpush-admission-') });
    atEnd(() => store.close());
    const ctx: ServiceContext = {
      store, secrets: createSecretBox(crypto.randomBytes(32)), config: resolveConfig({}, {}), signer: null,
      extraCa: [], appleRoot: null, mpnsRoots: [], now: () => new Date(),
    };
    const { key } = await store.apiKeys.create(null, 'operator');
    const entered: string[] = [];
    const release = new Map<string, () => void>();
    const app = await buildApp(ctx, {
      logger: false,
      concurrency: 2,
      extend: (instance) => {
        instance.get('/v1/hold/:name', { schema: { hide: true } }, async (request) => {
          const { name } = request.params as { name: string };
          entered.push(name);
          await new Promise<void>((resolve) => release.set(name, resolve));
          return { name };
        });
      },
    });
    atEnd(() => app.close());
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const get = (path: string, signal?: AbortSignal) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` }, signal });

    const a = get('/v1/hold/a');
    await until(() => entered.includes('a'));
    const b = get('/v1/hold/b');
    await until(() => entered.includes('b'));
    const leaving = new AbortController();
    const gone = get('/v1/hold/gone', leaving.signal).catch((error: Error) => error.name);
    await sleep(30);
    const c = get('/v1/hold/c');
    await sleep(30);
    assert.deepEqual(entered, ['a', 'b'], 'two in their handlers, the others wait');
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200, '/healthz does not wait for a turn');
    leaving.abort();
    assert.equal(await gone, 'AbortError');
    await sleep(30);
    release.get('a')!();
    assert.deepEqual(await (await a).json(), { name: 'a' });
    await until(() => entered.includes('c'));
    assert.deepEqual(entered, ['a', 'b', 'c'], 'the place went to the next waiter; the one that left never ran');
    release.get('b')!();
    release.get('c')!();
    assert.equal((await b).status, 200);
    assert.equal((await c).status, 200);
  });
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await sleep(10);
  assert.ok(check(), 'condition not reached within 5 s');
}
