// ApnsClient.sendWith: the callback form of send, as the delivery worker uses it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Outcome } from '../../src/apns/outcome.ts';
import { certClient, deviceToken, simulator } from './fixtures.ts';

test('sendWith calls back once per notification with its outcome and context, a local rejection included', async () => {
  const { sim } = await simulator();
  const client = await certClient(sim);
  const outcomes = new Map<number, Outcome>();
  let calls = 0;
  await new Promise<void>((resolve) => {
    const done = (outcome: Outcome, i: number) => {
      calls++;
      outcomes.set(i, outcome);
      if (outcomes.size === 3) resolve();
    };
    client.sendWith({ token: deviceToken(1), payload: { mdm: 'm1' }, pushType: 'mdm' }, 0, done, 0);
    client.sendWith({ token: 'not-hex', payload: { mdm: 'm2' }, pushType: 'mdm' }, 0, done, 1);
    client.sendWith({ token: deviceToken(3), payload: { mdm: 'm3' }, pushType: 'mdm' }, 2, done, 2);
  });
  assert.equal(calls, 3);
  assert.equal(outcomes.get(0)!.class, 'accepted');
  const rejected = outcomes.get(1)!;
  assert.deepEqual([rejected.class, rejected.status, 'reason' in rejected ? rejected.reason : undefined], ['invalid', 0, 'BadDeviceToken']);
  assert.equal(outcomes.get(2)!.class, 'accepted');
  assert.equal(sim.log.forToken(deviceToken(1))[0]!.payload, '{"mdm":"m1"}');
  assert.equal(sim.log.forToken(deviceToken(3)).length, 1);
});

test('sendWith on a closed client throws, as send does', async () => {
  const { sim } = await simulator();
  const client = await certClient(sim);
  await client.close();
  assert.throws(() => client.sendWith({ token: deviceToken(4), payload: { mdm: 'm' }, pushType: 'mdm' }, 0, () => {}, null), /closed/);
});
