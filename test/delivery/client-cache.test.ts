import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientCache } from '../../src/delivery/client-cache.ts';

function fakeClient(name: string) {
  return { name, closed: false, close() { this.closed = true; } };
}

describe('ClientCache', () => {
  it('builds a client once per key and reuses it while the credential is the same', () => {
    const cache = new ClientCache<ReturnType<typeof fakeClient>>({ idleMs: 1000 });
    let builds = 0;
    const a = cache.get('t1:mdm', 'fp1', () => { builds++; return fakeClient('a'); });
    const b = cache.get('t1:mdm', 'fp1', () => { builds++; return fakeClient('b'); });
    assert.equal(a, b);
    assert.equal(builds, 1);
  });

  it('rebuilds when the credential fingerprint changes, closing the old client', () => {
    const cache = new ClientCache<ReturnType<typeof fakeClient>>({ idleMs: 1000 });
    const old = cache.get('t1:mdm', 'fp1', () => fakeClient('old'));
    const fresh = cache.get('t1:mdm', 'fp2', () => fakeClient('new'));
    assert.notEqual(old, fresh);
    assert.equal(old.closed, true);
  });

  it('closes clients left idle, and only those', () => {
    let now = 0;
    const cache = new ClientCache<ReturnType<typeof fakeClient>>({ idleMs: 1000, now: () => now });
    const idle = cache.get('t1:mdm', 'f', () => fakeClient('idle'));
    now = 900;
    const busy = cache.get('t2:mdm', 'f', () => fakeClient('busy'));
    now = 1500;
    assert.equal(cache.evictIdle(), 1);
    assert.equal(idle.closed, true);
    assert.equal(busy.closed, false);
    assert.equal(cache.size, 1);
  });

  it('invalidates every client of a tenant', () => {
    const cache = new ClientCache<ReturnType<typeof fakeClient>>({ idleMs: 1000 });
    const mdm = cache.get('t1:mdm', 'f', () => fakeClient('mdm'));
    const mpns = cache.get('t1:mpns', 'f', () => fakeClient('mpns'));
    const other = cache.get('t10:mdm', 'f', () => fakeClient('other'));
    cache.invalidate('t1:');
    assert.equal(mdm.closed && mpns.closed, true);
    assert.equal(other.closed, false);
  });
});
