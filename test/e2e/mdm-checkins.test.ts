import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { backends } from '../fixtures/backends.ts';
import { checkinPlist, type DeviceIdentity, hmacSignature, micromdmEvent, nanomdmEvent, newDevice, tokenUpdatePlist } from '../fixtures/checkins.ts';
import { eventually, onboardTenant, startWorld, type World } from '../fixtures/service.ts';

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };
const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`nanomdm:${key}`).toString('base64')}` });

// An MDM server (nanomdm, MicroMDM, or one that forwards raw check-ins) drives certpush: devices
// arrive by TokenUpdate, pushes go out by enrollment id through nanomdm's push API shape.
for (const backend of await backends()) {
  describe(`MDM check-ins and the nanomdm push API on ${backend.name}`, { skip: backend.skip }, () => {
    let world: World;
    let tenant: { tid: string; key: string; topic: string };
    let other: { tid: string; key: string; topic: string };
    const phone = newDevice();
    const mac = newDevice();
    const checkin = (body: unknown, headers: Record<string, string> = JSON_TYPE, key = tenant.key) =>
      world.api(key, 'POST', `/v1/tenants/${tenant.tid}/mdm/checkin-events`, typeof body === 'string' ? body : JSON.stringify(body), headers);
    const enrollment = async (id: string) => (await world.api(tenant.key, 'GET', `/v1/tenants/${tenant.tid}/devices?enrollmentId=${encodeURIComponent(id)}`)).body.items as Array<Record<string, unknown>>;
    const pushesTo = (device: DeviceIdentity) => world.apns.log.forToken(device.token.toString('hex'));

    it('a nanomdm TokenUpdate webhook registers the device\'s enrollment with the token from the plist data', async () => {
      world = await startWorld(backend);
      tenant = await onboardTenant(world, 'MDM Customer');
      other = await onboardTenant(world, 'Other Customer');
      const r = await checkin(nanomdmEvent('mdm.TokenUpdate', tokenUpdatePlist(phone, tenant.topic), { udid: phone.udid, enrollmentId: phone.udid }));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual({ format: r.body.format, action: r.body.action, replayed: r.body.replayed, enrollmentId: r.body.enrollmentId }, { format: 'nanomdm', action: 'registered', replayed: false, enrollmentId: phone.udid });
      const [device] = await enrollment(phone.udid);
      assert.deepEqual({ token: device?.token, pushMagic: device?.pushMagic, topic: device?.topic, status: device?.status }, { token: phone.token.toString('hex'), pushMagic: phone.pushMagic, topic: tenant.topic, status: 'active' });
    });

    it('a MicroMDM TokenUpdate webhook registers its device too', async () => {
      const r = await checkin(micromdmEvent('mdm.TokenUpdate', tokenUpdatePlist(mac, tenant.topic), mac.udid));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.format, 'micromdm');
      assert.equal((await enrollment(mac.udid)).length, 1);
    });

    it('a user-channel TokenUpdate (nanomdm and MicroMDM) is an enrollment of its own, "<UDID>:<UserID>"', async () => {
      const user = { ...newDevice(), udid: phone.udid };
      const nano = await checkin(nanomdmEvent('mdm.TokenUpdate', tokenUpdatePlist(user, tenant.topic, { UserID: 'USER-1' }), { udid: phone.udid, enrollmentId: `${phone.udid}:USER-1` }));
      assert.equal(nano.status, 200, JSON.stringify(nano.body));
      const macUser = { ...newDevice(), udid: mac.udid };
      const micro = await checkin(micromdmEvent('mdm.TokenUpdate', tokenUpdatePlist(macUser, tenant.topic, { UserID: 'USER-2' }), mac.udid));
      assert.equal(micro.body.enrollmentId, `${mac.udid}:USER-2`);
      assert.equal((await enrollment(`${phone.udid}:USER-1`))[0]?.token, user.token.toString('hex'));
      assert.equal((await enrollment(mac.udid))[0]?.token, mac.token.toString('hex'), 'the device channel keeps its own token');
    });

    it('the push endpoint sends {"mdm": PushMagic} to the token, priority 10 with the default expiration, and answers nanomdm\'s shape', async () => {
      const before = Date.now();
      const r = await world.api(tenant.key, 'GET', `/v1/tenants/${tenant.tid}/mdm/push/${phone.udid}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const apnsId = r.body.status[phone.udid].push_result as string;
      assert.match(apnsId, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const [got] = pushesTo(phone);
      assert.ok(got, 'the APNs simulator received the push');
      assert.deepEqual(JSON.parse(got.payload), { mdm: phone.pushMagic });
      assert.deepEqual({ topic: got.topic, pushType: got.pushType, priority: got.priority, apnsId: got.apnsId }, { topic: tenant.topic, pushType: 'mdm', priority: '10', apnsId });
      const expiresIn = Number(got.expiration) - before / 1000;
      assert.ok(expiresIn > 7 * 86400 - 60 && expiresIn < 7 * 86400 + 60, `apns-expiration ${got.expiration} is 7 days out`);
    });

    it('the push endpoint takes the key as the Basic auth password and answers 207 when some ids fail', async () => {
      const r = await world.api(tenant.key, 'POST', `/v1/tenants/${tenant.tid}/mdm/push/${mac.udid},NO-SUCH-UDID`, undefined, basic(tenant.key));
      assert.equal(r.status, 207, JSON.stringify(r.body));
      assert.ok(r.body.status[mac.udid].push_result);
      assert.match(r.body.status['NO-SUCH-UDID'].push_error, /unknown enrollment/);
      assert.equal(pushesTo(mac).length, 1);
    });

    it('the push endpoint takes a long list of ids in one path segment', async () => {
      const unknown = Array.from({ length: 20 }, () => crypto.randomUUID().toUpperCase());
      const r = await world.api(tenant.key, 'GET', `/v1/tenants/${tenant.tid}/mdm/push/${[phone.udid, ...unknown].join(',')}`);
      assert.equal(r.status, 207, JSON.stringify(r.body));
      assert.equal(Object.keys(r.body.status).length, 21);
    });

    it('another tenant\'s key cannot push to this tenant\'s enrollments (404)', async () => {
      const r = await world.api(other.key, 'GET', `/v1/tenants/${tenant.tid}/mdm/push/${phone.udid}`);
      assert.equal(r.status, 404);
    });

    it('notifications accept enrollmentIds', async () => {
      const before = pushesTo(phone).length;
      const r = await world.api(tenant.key, 'POST', `/v1/tenants/${tenant.tid}/notifications`, { mdm: true, enrollmentIds: [phone.udid, `${phone.udid}:USER-1`] });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal(r.body.total, 2);
      const unknown = await world.api(tenant.key, 'POST', `/v1/tenants/${tenant.tid}/notifications`, { mdm: true, enrollmentIds: ['NOPE'] });
      assert.equal(unknown.body.code, 'NOTIFICATION_UNKNOWN_ENROLLMENTS');
      await eventually(async () => (pushesTo(phone).length > before ? true : undefined), 30_000, 'the notification reached APNs');
    });

    it('a notification\'s own expiration replaces the MDM default apns-expiration', async () => {
      const expiration = Math.floor(Date.now() / 1000) + 3600;
      const before = pushesTo(phone).length;
      const r = await world.api(tenant.key, 'POST', `/v1/tenants/${tenant.tid}/notifications`, { mdm: true, enrollmentIds: [phone.udid], expiration });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      const got = await eventually(async () => pushesTo(phone)[before], 30_000, 'the push reached APNs');
      assert.equal(got.expiration, String(expiration));
      assert.equal(got.priority, '10');
    });

    it('concurrent TokenUpdates for one new enrollment all succeed and leave one device', async () => {
      const twin = newDevice();
      const answers = await Promise.all(Array.from({ length: 6 }, () => checkin(micromdmEvent('mdm.TokenUpdate', tokenUpdatePlist(twin, tenant.topic), twin.udid))));
      assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200, 200], JSON.stringify(answers.map((a) => a.body)));
      assert.equal((await enrollment(twin.udid)).length, 1);
    });

    it('a TokenUpdate adopts the device registered earlier through the API with the same token', async () => {
      const known = newDevice();
      const registered = await world.api(tenant.key, 'POST', `/v1/tenants/${tenant.tid}/devices`, { platform: 'mdm', token: known.token.toString('hex'), pushMagic: 'OLD-MAGIC' });
      assert.equal(registered.status, 201, JSON.stringify(registered.body));
      const r = await checkin(micromdmEvent('mdm.TokenUpdate', tokenUpdatePlist(known, tenant.topic), known.udid));
      assert.equal(r.body.device.id, registered.body.id);
      assert.deepEqual({ enrollmentId: r.body.device.enrollmentId, pushMagic: r.body.device.pushMagic }, { enrollmentId: known.udid, pushMagic: known.pushMagic });
    });

    it('a raw check-in plist (application/x-apple-aspen-mdm-checkin) registers a device', async () => {
      const ipad = newDevice();
      const r = await checkin(tokenUpdatePlist(ipad, tenant.topic), { 'content-type': 'application/x-apple-aspen-mdm-checkin' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.format, 'plist');
      assert.equal((await enrollment(ipad.udid))[0]?.pushMagic, ipad.pushMagic);
    });

    it('a TokenUpdate for another topic is refused with 409 naming both topics', async () => {
      const stray = newDevice();
      const r = await checkin(nanomdmEvent('mdm.TokenUpdate', tokenUpdatePlist(stray, other.topic), { udid: stray.udid, enrollmentId: stray.udid }));
      assert.equal(r.status, 409);
      assert.equal(r.body.code, 'CHECKIN_WRONG_TOPIC');
      assert.ok(r.body.detail.includes(other.topic) && r.body.detail.includes(tenant.topic), r.body.detail);
      assert.equal((await enrollment(stray.udid)).length, 0);
    });

    it('CheckOut stops pushes: the push endpoint answers 500 and APNs receives nothing', async () => {
      const r = await checkin(micromdmEvent('mdm.CheckOut', checkinPlist('CheckOut', mac.udid, { Topic: tenant.topic }), mac.udid));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.action, 'checked-out');
      const before = world.apns.log.count;
      const push = await world.api(tenant.key, 'GET', `/v1/tenants/${tenant.tid}/mdm/push/${mac.udid}`);
      assert.equal(push.status, 500);
      assert.match(push.body.status[mac.udid].push_error, /checked out/);
      const all = await world.api(tenant.key, 'POST', `/v1/tenants/${tenant.tid}/notifications`, { mdm: true, enrollmentIds: [mac.udid, `${mac.udid}:USER-2`] });
      assert.equal(all.body.total, 0, 'the device and its user channel are both checked out');
      assert.equal(world.apns.log.count, before);
    });

    it('a replayed event (same event_id) changes nothing: a CheckOut\'s TokenUpdate does not come back', async () => {
      const again = newDevice();
      const event = micromdmEvent('mdm.TokenUpdate', tokenUpdatePlist(again, tenant.topic), again.udid, 'event-replay-1');
      assert.equal((await checkin(event)).body.replayed, false);
      await checkin(micromdmEvent('mdm.CheckOut', checkinPlist('CheckOut', again.udid), again.udid));
      const replay = await checkin(event);
      assert.equal(replay.status, 200);
      assert.equal(replay.body.replayed, true);
      assert.equal(replay.body.action, 'ignored');
      assert.equal((await enrollment(again.udid))[0]?.invalidReason, 'CheckedOut');
    });

    it('a new TokenUpdate after CheckOut makes the enrollment pushable again', async () => {
      const back = { ...mac, pushMagic: 'NEW-MAGIC' };
      await checkin(micromdmEvent('mdm.TokenUpdate', tokenUpdatePlist(back, tenant.topic), mac.udid));
      const push = await world.api(tenant.key, 'GET', `/v1/tenants/${tenant.tid}/mdm/push/${mac.udid}`);
      assert.equal(push.status, 200, JSON.stringify(push.body));
      assert.deepEqual(JSON.parse(pushesTo(mac).at(-1)!.payload), { mdm: 'NEW-MAGIC' });
    });

    it('Authenticate of a known device marks it re-enrolling until its TokenUpdate', async () => {
      const r = await checkin(nanomdmEvent('mdm.Authenticate', checkinPlist('Authenticate', phone.udid, { Topic: tenant.topic }), { udid: phone.udid, enrollmentId: phone.udid }));
      assert.equal(r.body.action, 'reenrolling');
      const push = await world.api(tenant.key, 'GET', `/v1/tenants/${tenant.tid}/mdm/push/${phone.udid}`);
      assert.match(push.body.status[phone.udid].push_error, /re-enrolling/);
    });

    it('other topics (mdm.Connect) are acknowledged and ignored', async () => {
      const r = await checkin({ topic: 'mdm.Connect', event_id: 'ack-1', created_at: new Date().toISOString(), acknowledge_event: { udid: phone.udid, status: 'Acknowledged', raw_payload: '' } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.action, 'ignored');
    });

    it('X-Hmac-Signature with the check-in secret authenticates a webhook without an API key', async () => {
      const made = await world.api(tenant.key, 'PUT', `/v1/tenants/${tenant.tid}/mdm/checkin-secret`);
      assert.equal(made.status, 200);
      const secret = made.body.secret as string;
      assert.ok(secret.length >= 40);
      const device = newDevice();
      const body = JSON.stringify(nanomdmEvent('mdm.TokenUpdate', tokenUpdatePlist(device, tenant.topic), { udid: device.udid, enrollmentId: device.udid }));
      const post = (signature: string) => fetch(`${world.url}/v1/tenants/${tenant.tid}/mdm/checkin-events`, { method: 'POST', headers: { ...JSON_TYPE, 'x-hmac-signature': signature }, body });
      const good = await post(hmacSignature(secret, body));
      assert.equal(good.status, 200, await good.clone().text());
      const bad = await post(hmacSignature('not-the-secret', body));
      assert.equal(bad.status, 401);
      assert.equal(((await bad.json()) as { code: string }).code, 'CHECKIN_BAD_SIGNATURE');
      const unsigned = await fetch(`${world.url}/v1/tenants/${tenant.tid}/mdm/checkin-events`, { method: 'POST', headers: JSON_TYPE, body });
      assert.equal(unsigned.status, 401);
    });

    it('a check-in with a garbage plist is refused with 422 naming the problem', async () => {
      const r = await checkin(nanomdmEvent('mdm.TokenUpdate', '<plist><dict><key>MessageType</key>', { udid: 'X', enrollmentId: 'X' }));
      assert.equal(r.status, 422);
      assert.equal(r.body.code, 'CHECKIN_NOT_PLIST');
      const noToken = await checkin(checkinPlist('TokenUpdate', 'UDID-1', { Topic: tenant.topic, PushMagic: 'M' }), { 'content-type': 'application/xml' });
      assert.equal(noToken.body.code, 'CHECKIN_TOKEN_INVALID');
    });

    it('a huge check-in body is refused with 413', async () => {
      const r = await checkin('x'.repeat(300 * 1024), { 'content-type': 'application/x-apple-aspen-mdm-checkin' });
      assert.equal(r.status, 413);
      assert.equal(r.body.code, 'BODY_TOO_LARGE');
    });

    it('answers arbitrary bodies under any check-in content type with a 4xx problem, never a 5xx (fuzzed)', async () => {
      const type = fc.constantFrom('application/json', 'application/x-apple-aspen-mdm-checkin', 'application/xml', 'text/plain', 'application/octet-stream');
      const body = fc.oneof(fc.string({ maxLength: 500 }), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), fc.constant('<?xml version="1.0"?><plist><dict><key>MessageType</key><string>TokenUpdate</string></dict></plist>'));
      await fc.assert(fc.asyncProperty(type, body, async (contentType, text) => {
        const r = await checkin(text === '' ? ' ' : text, { 'content-type': contentType });
        assert.ok(r.status >= 400 && r.status < 500, `${r.status} for ${contentType} ${JSON.stringify(text).slice(0, 80)}: ${JSON.stringify(r.body)}`);
        assert.equal(typeof r.body.code, 'string');
      }), { numRuns: 60 });
    });

    it('never stores the UnlockToken a check-in carries', { skip: backend.name !== 'sqlite' && 'reads the SQLite file' }, async () => {
      const dir = world.config.dataDir;
      const bytes = fs.readdirSync(dir).filter((f) => f.includes('.sqlite') || f.includes('.db')).map((f) => fs.readFileSync(path.join(dir, f)));
      assert.ok(bytes.length > 0, `a database file in ${dir}`);
      for (const b of bytes) {
        assert.equal(b.includes('UNLOCK-TOKEN-SECRET'), false);
        assert.equal(b.includes(Buffer.from('UNLOCK-TOKEN-SECRET-DO-NOT-STORE').toString('base64').slice(0, 24)), false);
      }
    });
  });
}
