// The client across the faults the simulator injects: what should arrive arrives, exactly as
// the simulator's log shows.
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { ApnsClient } from '../../src/apns/client.ts';
import type { Outcome } from '../../src/apns/outcome.ts';
import type { ApnsSimulator } from '../../src/simulators/apns.ts';
import { atEnd } from '../fixtures/pki.ts';
import { brief, certClient, detailOf, deviceToken, pushIdentity, reasonOf, simulator } from './fixtures.ts';
import { TRANSPORT_NAMES } from '../../src/apns/transport/transport.ts';

// Every test runs over both transports: certpush's wire and node:http2.
for (const transport of TRANSPORT_NAMES) describe(`over ${transport}`, () => {
  function send(client: ApnsClient, count: number, offset: number): Promise<Outcome[]> {
    return Promise.all(Array.from({ length: count }, (_, i) => client.send({ token: deviceToken(offset + i), payload: `{"mdm":"m${offset + i}"}`, pushType: 'mdm' })));
  }

  function accepted(outcomes: Outcome[]): string[] {
    return outcomes.filter((o) => o.class === 'accepted').map((o) => o.apnsId!).sort();
  }

  function logged(sim: ApnsSimulator): string[] {
    return sim.log.entries().map((d) => d.apnsId).sort();
  }

  test('across GOAWAYs every notification is accepted once, exactly as the simulator logged', async () => {
    const { sim } = await simulator({ faults: { goawayAfterStreams: 150 } });
    const client = await certClient(sim, { transport });
    const outcomes = await send(client, 1000, 0);
    assert.equal(outcomes.filter((o) => o.class !== 'accepted').length, 0);
    assert.deepEqual(accepted(outcomes), logged(sim));
    const stats = sim.stats();
    assert.ok(stats.goaways >= 6, `goaways ${stats.goaways}`);
    assert.equal(stats.accepted, 1000);
    assert.ok(client.stats().sessionsOpened >= 7);
  });

  test('streams the server did not process before its GOAWAY are resent on a new connection', async () => {
    const { sim } = await simulator({ faults: { goawayAfterStreams: 10 }, maxConcurrentStreams: 100 });
    const client = await certClient(sim, { transport });
    const outcomes = await send(client, 100, 10_000);
    assert.ok(outcomes.every((o) => o.class === 'accepted'));
    assert.ok(sim.stats().refused + client.stats().resent > 0, 'some streams went past a GOAWAY and were resent');
    assert.equal(sim.stats().accepted, 100);
    assert.deepEqual(accepted(outcomes), logged(sim));
  });

  test('a dropped connection loses only what was in flight: those are retry outcomes, the rest arrive, and resending fills the gap', async () => {
    const { sim } = await simulator({ faults: { resetAfterStreams: 120 } });
    const client = await certClient(sim, { transport });
    const outcomes = await send(client, 500, 20_000);
    const lost = outcomes.filter((o) => o.class !== 'accepted');
    assert.ok(sim.stats().resets >= 1);
    assert.ok(lost.length > 0, 'the reset lost some in-flight requests');
    for (const o of lost) assert.deepEqual(brief(o), ['retry', 0, 'ConnectionLost']);
    // What the client saw accepted, the simulator logged; what it logged beyond that was in flight.
    const log = new Set(logged(sim));
    for (const id of accepted(outcomes)) assert.ok(log.has(id));
    const lostIds = new Set(lost.map((o) => o.apnsId));
    for (const id of log) assert.ok(accepted(outcomes).includes(id) || lostIds.has(id));
    // The caller resends the lost ones (same apns-id); now everything is there.
    sim.setFaults({});
    const again = await Promise.all(outcomes.map((o, i) => o.class === 'accepted' ? o
      : client.send({ token: deviceToken(20_000 + i), payload: `{"mdm":"m${20_000 + i}"}`, pushType: 'mdm', id: o.apnsId })));
    assert.ok(again.every((o) => o.class === 'accepted'));
    assert.equal(new Set(logged(sim)).size, 500);
  });

  test('when the stream limit drops to 1 after a rejection and rises again, all good notifications arrive once', async () => {
    const { sim } = await simulator({ faults: { dropStreamLimitOnRejection: true, restoreAfterAccepted: 5 } });
    const bad = [deviceToken(30_000), deviceToken(30_300), deviceToken(30_600)];
    for (const token of bad) sim.setDevice(token, 'unregistered');
    const client = await certClient(sim, { transport });
    const outcomes = await send(client, 900, 30_000);
    const invalid = outcomes.filter((o) => o.class === 'invalid');
    assert.equal(invalid.length, 3);
    assert.equal(outcomes.filter((o) => o.class === 'accepted').length, 897);
    assert.ok(sim.stats().streamLimitDrops >= 1);
    assert.deepEqual(accepted(outcomes), logged(sim));
    assert.equal(sim.log.count, 897);
  });

  test('a request APNs does not answer in time is a retry outcome: Timeout', async () => {
    const { sim } = await simulator({ faults: { slowResponseMs: 3000 } });
    const client = await certClient(sim, { transport, requestTimeoutMs: 200 });
    const outcome = await client.sendMdm(deviceToken(40_000), 'm');
    assert.deepEqual(brief(outcome), ['retry', 0, 'Timeout']);
  });

  test('slow answers within the timeout are accepted', async () => {
    const { sim } = await simulator({ faults: { slowResponseMs: 100, slowShare: 0.5 } });
    const client = await certClient(sim, { transport });
    const outcomes = await send(client, 50, 41_000);
    assert.ok(outcomes.every((o) => o.class === 'accepted'));
  });

  /** A TCP relay that can go silent, as a dead network path does. */
  async function freezableRelay(target: URL): Promise<{ url: string; freeze(): void }> {
    let frozen = false;
    const pairs: net.Socket[] = [];
    const server = net.createServer((inbound) => {
      const outbound = net.connect(Number(target.port), target.hostname);
      pairs.push(inbound, outbound);
      inbound.on('data', (d) => { if (!frozen) outbound.write(d); });
      outbound.on('data', (d) => { if (!frozen) inbound.write(d); });
      inbound.on('error', () => {});
      outbound.on('error', () => {});
      inbound.on('close', () => outbound.destroy());
      outbound.on('close', () => inbound.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    atEnd(() => { for (const s of pairs) s.destroy(); server.close(); });
    return { url: `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`, freeze: () => { frozen = true; } };
  }

  test('a connection that stops answering PINGs is dropped; its requests come back as ConnectionLost', async () => {
    const { sim, pki } = await simulator({ faults: { slowResponseMs: 60_000 } });
    const relay = await freezableRelay(new URL(sim.url));
    const client = new ApnsClient({ transport, endpoint: relay.url, ca: pki.serverCa.cert, certificate: await pushIdentity(), pingIntervalMs: 100, pingTimeoutMs: 300, requestTimeoutMs: 120_000 });
    atEnd(() => client.close());
    const pending = client.sendMdm(deviceToken(42_000), 'm');
    while (client.stats().inFlight === 0) await new Promise((r) => setImmediate(r));
    relay.freeze();
    const outcome = await pending;
    assert.deepEqual([outcome.class, reasonOf(outcome)], ['retry', 'ConnectionLost']);
    assert.match(detailOf(outcome), /PING/);
  });

  test('an idle connection is closed, and a new one opens for the next notification', async () => {
    const { sim } = await simulator();
    const client = await certClient(sim, { transport, idleTimeoutMs: 100 });
    assert.equal((await client.sendMdm(deviceToken(43_000), 'm')).class, 'accepted');
    while (client.stats().sessions > 0) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await client.sendMdm(deviceToken(43_001), 'm')).class, 'accepted');
    assert.equal(client.stats().sessionsOpened, 2);
  });

  test('several sessions share the load when the pool may open them', async () => {
    const { sim } = await simulator({ maxConcurrentStreams: 10 });
    const client = await certClient(sim, { transport, maxSessions: 3 });
    const outcomes = await send(client, 300, 44_000);
    assert.ok(outcomes.every((o) => o.class === 'accepted'));
    assert.ok(client.stats().sessionsOpened >= 2 && client.stats().sessionsOpened <= 3);
    assert.deepEqual(accepted(outcomes), logged(sim));
  });
});
