import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backends } from '../fixtures/backends.ts';
import { deviceToken, startWorld } from '../fixtures/service.ts';

const DEVICES = 100_000;
/**
 * The target is ~50 ms per slice; the bound is generous. It is on CPU time spent between
 * two ticks of a 5 ms timer, not on wall time: on a shared machine the wall-clock gap also counts
 * the time the process waits for a core, which says nothing about the code.
 */
const LONGEST_SLICE_CPU_MS = 200;

const [sqlite] = await backends();

describe('a large import and the event loop', () => {
  it(`parsing, checking and writing ${DEVICES.toLocaleString('en-US')} devices never holds the event loop for long at a time`, async () => {
    const world = await startWorld(sqlite!);
    const tid = (await world.api(world.operatorKey, 'POST', '/v1/tenants', { name: 'Big import' })).body.id as string;
    const key = (await world.api(world.operatorKey, 'POST', `/v1/tenants/${tid}/api-keys`, {})).body.key as string;
    const body = Array.from({ length: DEVICES }, (_, i) => JSON.stringify({ platform: 'mdm', token: deviceToken(i, 'e'), pushMagic: `m${i}` })).join('\n');

    let longest = 0;
    let last = process.cpuUsage();
    const ticker = setInterval(() => {
      const spent = process.cpuUsage(last);
      last = process.cpuUsage();
      longest = Math.max(longest, (spent.user + spent.system) / 1000);
    }, 5);
    try {
      const r = await world.api(key, 'POST', `/v1/tenants/${tid}/devices:import`, body, { 'content-type': 'application/x-ndjson' });
      assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
      assert.equal(r.body.imported, DEVICES);
    } finally {
      clearInterval(ticker);
    }
    assert.ok(longest < LONGEST_SLICE_CPU_MS, `the event loop was held for ${longest.toFixed(0)} ms of CPU at once`);
  });
});
