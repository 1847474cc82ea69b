// Interop: @parse/node-apn (a peer library) talks to our simulator, and its results match ours.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { certClient, deviceToken, pushIdentity, reasonOf, simulator } from './fixtures.ts';

const require = createRequire(import.meta.url);
interface NodeApnResult { sent: Array<{ device: string }>; failed: Array<{ device: string; status?: number; response?: { reason: string; timestamp?: number } }> }
const apn = require('@parse/node-apn') as {
  Provider: new (options: object) => { send(note: unknown, tokens: string[]): Promise<NodeApnResult>; shutdown(): Promise<void> | void };
  Notification: new () => { topic: string; pushType: string; rawPayload: object };
};

test('node-apn sends MDM pushes to the simulator, and its sent/failed split matches certpush\'s outcomes', async () => {
  const { sim, pki } = await simulator();
  const id = await pushIdentity();
  const good = Array.from({ length: 20 }, (_, i) => deviceToken(i));
  const gone = deviceToken(100);
  const notForTopic = deviceToken(101);
  sim.setDevice(gone, 'unregistered', new Date(1_700_000_000_000));
  sim.setDevice(notForTopic, 'not-for-topic');
  const url = new URL(sim.url);
  const provider = new apn.Provider({ cert: id.cert, key: id.key, ca: pki.serverCa.cert, address: url.hostname, port: Number(url.port) });
  const note = new apn.Notification();
  note.topic = id.topic;
  note.pushType = 'mdm';
  note.rawPayload = { mdm: 'node-apn' };
  const result = await provider.send(note, [...good, gone, notForTopic]);
  await provider.shutdown();

  assert.deepEqual(result.sent.map((s) => s.device).sort(), [...good].sort());
  const failed = Object.fromEntries(result.failed.map((f) => [f.device, [f.status, f.response?.reason, f.response?.timestamp]]));
  assert.deepEqual(failed, { [gone]: [410, 'Unregistered', 1_700_000_000_000], [notForTopic]: [400, 'DeviceTokenNotForTopic', undefined] });
  for (const token of good) assert.equal(sim.log.forToken(token)[0]!.payload, '{"mdm":"node-apn"}');

  // certpush, same tokens, same simulator: the same split and reasons.
  const client = await certClient(sim);
  const ours = await Promise.all([...good, gone, notForTopic].map(async (token) => [token, await client.sendMdm(token, 'certpush')] as const));
  assert.deepEqual(ours.filter(([, o]) => o.class === 'accepted').map(([t]) => t).sort(), [...good].sort());
  assert.deepEqual(Object.fromEntries(ours.filter(([, o]) => o.class !== 'accepted').map(([t, o]) => [t, [o.status, reasonOf(o), 'timestamp' in o ? o.timestamp?.getTime() : undefined]])), failed);
});
