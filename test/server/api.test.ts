import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { signPushCertRequest } from '../../src/mdm/push-cert-request.ts';
import { parseCertificate } from '../../src/pki/certificate.ts';
import { parseCsr } from '../../src/pki/csr.ts';
import { loadIdentity } from '../../src/pki/identity.ts';
import { generateRsaKey } from '../../src/pki/key.ts';
import { issuePushCertificate } from '../../src/simulators/apple-portal.ts';
import { issueMdmPushCertificate } from '../../src/simulators/test-pki.ts';
import { backends } from '../fixtures/backends.ts';
import { tempDir } from '../fixtures/pki.ts';
import { deviceToken, onboardTenant, startWorld, type World } from '../fixtures/service.ts';

for (const backend of await backends()) {
  describe(`HTTP API on ${backend.name}`, { skip: backend.skip }, () => {
    let world: World;
    let a: Awaited<ReturnType<typeof onboardTenant>>;
    let b: Awaited<ReturnType<typeof onboardTenant>>;

    it('answers health, readiness, the OpenAPI document and the docs page without a key', async () => {
      world = await startWorld(backend);
      for (const p of ['/healthz', '/readyz', '/openapi.json', '/docs']) {
        const r = await fetch(`${world.url}${p}`);
        assert.equal(r.status, 200, p);
      }
      const spec = await (await fetch(`${world.url}/openapi.json`)).json() as { paths: Record<string, unknown> };
      for (const p of ['/v1/tenants', '/v1/tenants/{tid}/mdm/csr', '/v1/tenants/{tid}/mdm/push-cert', '/v1/tenants/{tid}/devices', '/v1/tenants/{tid}/notifications/{nid}']) {
        assert.ok(spec.paths[p], `OpenAPI documents ${p}`);
      }
    });

    it('refuses requests without a key, with a malformed header, or with an unknown key', async () => {
      const none = await fetch(`${world.url}/v1/tenants`);
      assert.equal(none.status, 401);
      assert.equal(none.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal((await none.json() as { code: string }).code, 'AUTH_REQUIRED');
      assert.equal((await world.api('x y z', 'GET', '/v1/tenants')).body.code, 'AUTH_MALFORMED');
      assert.equal((await world.api(`cpk_${'A'.repeat(43)}`, 'GET', '/v1/tenants')).body.code, 'AUTH_INVALID');
    });

    it('lets only operators create tenants and keys', async () => {
      a = await onboardTenant(world, 'Tenant A');
      b = await onboardTenant(world, 'Tenant B');
      const r = await world.api(a.key, 'POST', '/v1/tenants', { name: 'Sneaky' });
      assert.equal(r.status, 403);
      assert.equal((await world.api(a.key, 'POST', `/v1/tenants/${a.tid}/api-keys`, {})).status, 403);
      assert.equal((await world.api(world.operatorKey, 'POST', '/v1/tenants', { name: 'Tenant A' })).status, 409);
    });

    it('tells a key what it reaches', async () => {
      const op = await world.api(world.operatorKey, 'GET', '/v1/whoami');
      assert.deepEqual([op.body.kind, op.body.tenant], ['operator', null]);
      const tenant = await world.api(a.key, 'GET', '/v1/whoami');
      assert.deepEqual([tenant.body.kind, tenant.body.tenant], ['tenant', { id: a.tid, name: 'Tenant A' }]);
    });

    it('answers 404 for everything of another tenant, exactly as for a tenant that does not exist', async () => {
      const [device] = [(await world.api(b.key, 'POST', `/v1/tenants/${b.tid}/devices`, { platform: 'mdm', token: deviceToken(7, 'b'), pushMagic: 'pm' })).body];
      const notification = (await world.api(b.key, 'POST', `/v1/tenants/${b.tid}/notifications`, { all: true, mdm: true })).body;
      const requests: Array<[string, string, unknown?]> = [
        ['GET', `/v1/tenants/${b.tid}`],
        ['GET', `/v1/tenants/${b.tid}/audit`],
        ['GET', `/v1/tenants/${b.tid}/mdm/push-cert`],
        ['POST', `/v1/tenants/${b.tid}/mdm/csr`, {}],
        ['POST', `/v1/tenants/${b.tid}/mdm/push-cert-request`],
        ['PUT', `/v1/tenants/${b.tid}/mdm/push-cert`, { certificate: a.cert }],
        ['GET', `/v1/tenants/${b.tid}/mpns/credential`],
        ['PUT', `/v1/tenants/${b.tid}/mpns/credential`, { certificate: world.pki.mpnsClient.cert, key: world.pki.mpnsClient.key }],
        ['GET', `/v1/tenants/${b.tid}/devices`],
        ['GET', `/v1/tenants/${b.tid}/devices/${device.id}`],
        ['DELETE', `/v1/tenants/${b.tid}/devices/${device.id}`],
        ['POST', `/v1/tenants/${b.tid}/devices`, { platform: 'mdm', token: deviceToken(8, 'b'), pushMagic: 'x' }],
        ['POST', `/v1/tenants/${b.tid}/notifications`, { all: true, mdm: true }],
        ['GET', `/v1/tenants/${b.tid}/notifications/${notification.id}`],
      ];
      const ghost = 'ten_doesnotexist000000';
      for (const [method, p, body] of requests) {
        const other = await world.api(a.key, method, p, body);
        assert.equal(other.status, 404, `${method} ${p} with tenant A's key`);
        const missing = await world.api(a.key, method, p.replace(b.tid, ghost), body);
        assert.equal(missing.status, 404);
        assert.equal(other.body.detail, missing.body.detail.replace(ghost, b.tid), 'the message is the same as for a missing tenant');
      }
      // Tenant A's own devices list does not include B's device, and B's device is untouched.
      assert.equal((await world.api(a.key, 'GET', `/v1/tenants/${a.tid}/devices`)).body.items.length, 0);
      assert.equal((await world.api(b.key, 'GET', `/v1/tenants/${b.tid}/devices/${device.id}`)).status, 200);
      const list = await world.api(a.key, 'GET', '/v1/tenants');
      assert.deepEqual(list.body.items.map((t: { id: string }) => t.id), [a.tid]);
    });

    it('refuses a renewal whose topic differs, explains why, and replaces it only with force', async () => {
      await world.api(a.key, 'POST', `/v1/tenants/${a.tid}/mdm/csr`, {});
      const state = await world.api(a.key, 'GET', `/v1/tenants/${a.tid}/mdm/push-cert`);
      assert.equal(state.body.state, 'renewing');
      assert.equal(state.body.requiredTopic, a.topic);
      const signed = await world.api(a.key, 'POST', `/v1/tenants/${a.tid}/mdm/push-cert-request`);
      const wrongTopic = await issuePushCertificate(world.pki, signed.body.request); // "Create" instead of "Renew"
      const refused = await world.api(a.key, 'PUT', `/v1/tenants/${a.tid}/mdm/push-cert`, { certificate: wrongTopic.cert });
      assert.equal(refused.status, 422);
      assert.match(refused.body.detail, /topic/i);
      assert.match(refused.body.detail, /stop answering/);
      assert.equal((await world.api(a.key, 'GET', `/v1/tenants/${a.tid}/mdm/push-cert`)).body.topic, a.topic, 'the current certificate stays');

      const renewed = await issuePushCertificate(world.pki, signed.body.request, { previous: a.cert });
      const ok = await world.api(a.key, 'PUT', `/v1/tenants/${a.tid}/mdm/push-cert`, { certificate: renewed.cert });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.topic, a.topic);
      assert.equal(ok.body.state, 'active');

      await world.api(a.key, 'POST', `/v1/tenants/${a.tid}/mdm/csr`, {});
      const again = await world.api(a.key, 'POST', `/v1/tenants/${a.tid}/mdm/push-cert-request`);
      const other = await issuePushCertificate(world.pki, again.body.request);
      const forced = await world.api(a.key, 'PUT', `/v1/tenants/${a.tid}/mdm/push-cert`, { certificate: other.cert, force: true });
      assert.equal(forced.status, 200, JSON.stringify(forced.body));
      assert.equal(forced.body.topic, other.topic);
      assert.ok(forced.body.warnings.some((w: { code: string }) => w.code === 'PUSH_CERT_TOPIC_REPLACED'));
      const audit = await world.api(a.key, 'GET', `/v1/tenants/${a.tid}/audit`);
      assert.ok(audit.body.items.some((e: { action: string; detail: { previousTopic?: string } }) => e.action === 'mdm.push-cert.replaced' && e.detail.previousTopic === a.topic));
      a.topic = other.topic;
      a.cert = other.cert;
    });

    it('refuses an expired certificate and one for another key', async () => {
      await world.api(a.key, 'POST', `/v1/tenants/${a.tid}/mdm/csr`, {});
      const csr = parseCsr((await world.api(a.key, 'GET', `/v1/tenants/${a.tid}/mdm/push-cert`)).body.pendingCsr);
      const expired = await issueMdmPushCertificate(world.pki, { publicKey: crypto.createPublicKey({ key: csr.publicKey.spki, format: 'der', type: 'spki' }), topic: a.topic, notBefore: new Date('2020-01-01'), notAfter: new Date('2021-01-01') });
      const r1 = await world.api(a.key, 'PUT', `/v1/tenants/${a.tid}/mdm/push-cert`, { certificate: expired.cert });
      assert.equal(r1.status, 422);
      assert.match(r1.body.detail, /PUSH_CERT_EXPIRED/);
      const foreign = await issueMdmPushCertificate(world.pki, { publicKey: generateRsaKey(), topic: a.topic });
      const r2 = await world.api(a.key, 'PUT', `/v1/tenants/${a.tid}/mdm/push-cert`, { certificate: foreign.cert });
      assert.equal(r2.status, 422);
      assert.match(r2.body.detail, /PUSH_CERT_KEY_MISMATCH/);
      const garbage = await world.api(a.key, 'PUT', `/v1/tenants/${a.tid}/mdm/push-cert`, { certificate: '-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n' });
      assert.equal(garbage.status, 422);
      assert.equal((await world.api(a.key, 'GET', `/v1/tenants/${a.tid}/mdm/push-cert`)).body.topic, a.topic, 'nothing changed');
    });

    it('accepts a request signed offline by the vendor CLI, and refuses one for another CSR', async () => {
      const csrPem = (await world.api(a.key, 'GET', `/v1/tenants/${a.tid}/mdm/push-cert`)).body.pendingCsr as string;
      const dir = tempDir();
      const files = { csr: path.join(dir, 'c.csr'), out: path.join(dir, 'req.b64') };
      fs.writeFileSync(files.csr, csrPem);
      const pkiDir = path.join(dir, 'pki');
      fs.mkdirSync(pkiDir);
      for (const [name, v] of Object.entries({ vendor: world.pki.vendor, wwdr: world.pki.wwdr, root: world.pki.appleRoot })) {
        fs.writeFileSync(path.join(pkiDir, `${name}.pem`), v.cert);
        fs.writeFileSync(path.join(pkiDir, `${name}.key`), v.key);
      }
      execFileSync(process.execPath, ['bin/certpush.js', 'mdm', 'vendor-sign', '--csr', files.csr, '--vendor-cert', `${pkiDir}/vendor.pem`, '--vendor-key', `${pkiDir}/vendor.key`, '--intermediate', `${pkiDir}/wwdr.pem`, '--root', `${pkiDir}/root.pem`, '--out', files.out], { stdio: 'pipe' });
      const ok = await world.api(a.key, 'PUT', `/v1/tenants/${a.tid}/mdm/push-cert-request`, { request: fs.readFileSync(files.out, 'utf8') });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.state, 'renewing');
      const download = await fetch(`${world.url}/v1/tenants/${a.tid}/mdm/push-cert-request`, { headers: { authorization: `Bearer ${a.key}` } });
      assert.equal((await download.text()).trim(), fs.readFileSync(files.out, 'utf8').trim());

      const otherCsr = await (await import('../../src/pki/csr.ts')).createCsr(generateRsaKey(), { CN: 'other' });
      const { request } = await signPushCertRequest({ csr: otherCsr.der, vendor: loadIdentity({ cert: world.pki.vendor.cert, key: world.pki.vendor.key }), intermediate: parseCertificate(world.pki.wwdr.cert), root: parseCertificate(world.pki.appleRoot.cert) });
      const wrong = await world.api(a.key, 'PUT', `/v1/tenants/${a.tid}/mdm/push-cert-request`, { request });
      assert.equal(wrong.status, 422);
      assert.equal(wrong.body.code, 'MDM_REQUEST_WRONG_CSR');
      const garbage = await world.api(a.key, 'PUT', `/v1/tenants/${a.tid}/mdm/push-cert-request`, { request: 'bm90IGEgcGxpc3Q=' });
      assert.equal(garbage.status, 422);
      assert.equal(garbage.body.code, 'MDM_REQUEST_INVALID');
    });

    it('rejects malformed JSON, unknown fields and wrong types with problem+json', async () => {
      const bad = await world.api(a.key, 'POST', `/v1/tenants/${a.tid}/devices`, '{"platform":', { 'content-type': 'application/json' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, 'BODY_NOT_JSON');
      const extra = await world.api(a.key, 'POST', `/v1/tenants/${a.tid}/devices`, { platform: 'mdm', token: deviceToken(1), pushMagic: 'x', admin: true });
      assert.equal(extra.status, 400);
      assert.equal(extra.body.code, 'REQUEST_INVALID');
      const type = await world.api(a.key, 'POST', `/v1/tenants/${a.tid}/notifications`, { all: 'yes', mdm: true });
      assert.equal(type.status, 400);
      const xml = await world.api(a.key, 'POST', `/v1/tenants/${a.tid}/devices`, '<device/>', { 'content-type': 'application/xml' });
      assert.equal(xml.status, 415);
      assert.equal(xml.body.code, 'UNSUPPORTED_MEDIA_TYPE');
      const route = await world.api(a.key, 'GET', '/v1/nothing-here');
      assert.equal(route.status, 404);
      assert.equal(route.body.code, 'ROUTE_NOT_FOUND');
    });

    it('refuses oversized bodies with 413', async () => {
      const huge = JSON.stringify({ platform: 'mdm', token: deviceToken(1), pushMagic: 'x'.repeat(2 * 1024 * 1024) });
      const r = await world.api(a.key, 'POST', `/v1/tenants/${a.tid}/devices`, huge, { 'content-type': 'application/json' });
      assert.equal(r.status, 413);
      assert.equal(r.body.code, 'BODY_TOO_LARGE');
    });

    it('refuses bad device tokens and push magic', async () => {
      for (const [body, code] of [
        [{ platform: 'mdm', token: 'xyz', pushMagic: 'm' }, 'DEVICE_TOKEN_INVALID'],
        [{ platform: 'mdm', token: 'ab'.repeat(16), pushMagic: 'm' }, 'DEVICE_TOKEN_INVALID'],
        [{ platform: 'mdm', token: deviceToken(2) }, 'DEVICE_PUSH_MAGIC_INVALID'],
        [{ platform: 'apns', token: deviceToken(2) }, 'DEVICE_TOPIC_INVALID'],
      ] as const) {
        const r = await world.api(a.key, 'POST', `/v1/tenants/${a.tid}/devices`, body);
        assert.equal(r.status, 422, JSON.stringify(body));
        assert.equal(r.body.code, code);
      }
    });

    it('refuses MPNS channel URIs that would make certpush call anything but a push service', async () => {
      for (const channelUri of [
        'http://127.0.0.1/throttledthirdparty/01.00/x', 'http://169.254.169.254/latest/meta-data', 'file:///etc/passwd',
        'https://user:pw@db3.notify.live.net/x', 'https://db3.notify.live.net:8443/x', `https://db3.notify.live.net/${'a'.repeat(1100)}`,
        'gopher://db3.notify.live.net/x', 'not a uri',
      ]) {
        const r = await world.api(a.key, 'POST', `/v1/tenants/${a.tid}/devices`, { platform: 'mpns', channelUri });
        assert.equal(r.status, 422, channelUri);
        assert.match(r.body.code, /^MPNS_CHANNEL_URI_/);
      }
      const ok = await world.api(a.key, 'POST', `/v1/tenants/${a.tid}/devices`, { platform: 'mpns', channelUri: 'https://db3.notify.live.net/unthrottledthirdparty/01.00/abc' });
      assert.equal(ok.status, 201);
    });

    it('imports devices all or nothing, naming the bad lines', async () => {
      const csv = ['platform,token,pushMagic', `mdm,${deviceToken(100)},m1`, 'mdm,nothex,m2', `mdm,${deviceToken(101)},m3`].join('\n');
      const bad = await world.api(a.key, 'POST', `/v1/tenants/${a.tid}/devices:import`, csv, { 'content-type': 'text/csv' });
      assert.equal(bad.status, 422);
      assert.equal(bad.body.code, 'IMPORT_INVALID');
      assert.deepEqual(bad.body.problems.map((p: { line: number }) => p.line), [3]);
      const before = (await world.api(a.key, 'GET', `/v1/tenants/${a.tid}/devices?platform=mdm`)).body.items.length;
      assert.equal(before, 0, 'nothing was imported');
      const good = await world.api(a.key, 'POST', `/v1/tenants/${a.tid}/devices:import`, csv.replace('mdm,nothex,m2\n', ''), { 'content-type': 'text/csv' });
      assert.equal(good.status, 200, JSON.stringify(good.body));
      assert.equal(good.body.imported, 2);
    });

    it('pages and filters the device list', async () => {
      const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ platform: 'mdm', token: deviceToken(200 + i), pushMagic: 'm' }));
      await world.api(a.key, 'POST', `/v1/tenants/${a.tid}/devices:import`, lines.join('\n'), { 'content-type': 'application/x-ndjson' });
      const seen = new Set<string>();
      let cursor: string | null = null;
      do {
        const r: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await world.api(a.key, 'GET', `/v1/tenants/${a.tid}/devices?platform=mdm&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
        for (const d of r.body.items) seen.add(d.id);
        cursor = r.body.nextCursor;
      } while (cursor);
      assert.equal(seen.size, 32);
      const search = await world.api(a.key, 'GET', `/v1/tenants/${a.tid}/devices?search=${deviceToken(215).slice(-6)}`);
      assert.equal(search.body.items.length, 1);
      assert.equal((await world.api(a.key, 'GET', `/v1/tenants/${a.tid}/devices?limit=5000`)).status, 400);
    });

    it('refuses notifications that cannot be delivered as asked', async () => {
      const cases: Array<[unknown, number, string]> = [
        [{ mdm: true }, 422, 'NOTIFICATION_TARGET'],
        [{ all: true, devices: ['x'], mdm: true }, 422, 'NOTIFICATION_TARGET'],
        [{ all: true }, 422, 'NOTIFICATION_EMPTY'],
        [{ devices: ['dev_nope'], mdm: true }, 422, 'NOTIFICATION_UNKNOWN_DEVICES'],
        [{ all: true, mpns: { type: 'toast', text1: 'x'.repeat(4000) } }, 422, 'MPNS_PAYLOAD_TOO_LARGE'],
        [{ all: true, apns: { payload: { aps: { alert: 'x'.repeat(5000) } } } }, 422, 'NOTIFICATION_APNS'],
        [{ all: true, apns: { payload: { aps: { alert: 'hello' } } } }, 409, 'APNS_NO_APP_CREDENTIAL'],
        [{ all: true, mdm: true, expiration: '2001-01-01T00:00:00Z' }, 422, 'NOTIFICATION_EXPIRATION'],
      ];
      for (const [body, status, code] of cases) {
        const r = await world.api(a.key, 'POST', `/v1/tenants/${a.tid}/notifications`, body);
        assert.equal(r.status, status, JSON.stringify(body));
        assert.equal(r.body.code, code, JSON.stringify(r.body));
      }
      const fresh = (await world.api(world.operatorKey, 'POST', '/v1/tenants', { name: 'No cert yet' })).body;
      const r = await world.api(world.operatorKey, 'POST', `/v1/tenants/${fresh.id}/notifications`, { all: true, mdm: true });
      assert.equal(r.status, 409);
      assert.equal(r.body.code, 'MDM_NO_CERT');
    });

    it('without a signer configured, explains how to sign offline', async () => {
      const service = await world.startAnother({ signerUrl: '', port: 0, role: 'api' });
      const fresh = (await world.api(world.operatorKey, 'POST', '/v1/tenants', { name: 'Offline signing' })).body;
      await world.api(world.operatorKey, 'POST', `/v1/tenants/${fresh.id}/mdm/csr`, {});
      const r = await fetch(`${service.url}/v1/tenants/${fresh.id}/mdm/push-cert-request`, { method: 'POST', headers: { authorization: `Bearer ${world.operatorKey}` } });
      assert.equal(r.status, 409);
      const body = await r.json() as { code: string; detail: string };
      assert.equal(body.code, 'SIGNER_NOT_CONFIGURED');
      assert.match(body.detail, /certpush mdm vendor-sign/);
    });
  });
}
