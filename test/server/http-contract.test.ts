import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { before, describe, it } from 'node:test';
import { parsePem } from '../../src/pki/pem.ts';
import { issuePushCertificate } from '../../src/simulators/apple-portal.ts';
import { backends } from '../fixtures/backends.ts';
import { openssl, tempDir, writeFiles } from '../fixtures/pki.ts';
import { deviceToken, startWorld, type World } from '../fixtures/service.ts';

// HTTP behaves as integrators expect: 405 with Allow, strict JSON types, named fields, refused
// garbage cursors, empty bodies where nothing is required, and certificate files uploaded as
// they are. The storage back end plays no part here, so SQLite alone.
// curl runs asynchronously: the service under test answers from this very process.
const curl = async (args: string[]) => (await promisify(execFile)('curl', ['-sS', ...args], { encoding: 'utf8' })).stdout;
const sqlite = (await backends()).find((b) => b.name === 'sqlite')!;

describe('HTTP contract', () => {
  let world: World;
  let dir: string;

  before(async () => {
    world = await startWorld(sqlite);
    dir = tempDir('certpush-contract-');
  });

  /** A tenant waiting for Apple: key, CSR, signed request; and the certificate the stand-in portal issues for it. */
  async function awaitingApple(name: string) {
    const tid = (await world.api(world.operatorKey, 'POST', '/v1/tenants', { name })).body.id as string;
    const key = (await world.api(world.operatorKey, 'POST', `/v1/tenants/${tid}/api-keys`)).body.key as string;
    await world.api(key, 'POST', `/v1/tenants/${tid}/mdm/csr`);
    const request = (await world.api(key, 'POST', `/v1/tenants/${tid}/mdm/push-cert-request`)).body.request as string;
    const apple = await issuePushCertificate(world.pki, request);
    return { tid, key, request, cert: apple.cert, topic: apple.topic, csr: (await world.api(key, 'GET', `/v1/tenants/${tid}/mdm/push-cert`)).body.pendingCsr as string };
  }

  /** `name.p12` made by openssl from a certificate (and its key, when given), under `password`. */
  function pkcs12File(name: string, password: string, cert: string, key?: string): string {
    const files = writeFiles(dir, { [`${name}.pem`]: cert, ...(key ? { [`${name}.key`]: key } : {}) });
    const p12 = path.join(dir, `${name}.p12`);
    openssl(['pkcs12', '-export', ...(key ? ['-inkey', files[`${name}.key`]!] : ['-nokeys']), '-in', files[`${name}.pem`]!, '-out', p12, '-passout', `pass:${password}`]);
    return p12;
  }

  function put(t: { tid: string; key: string }, body: string | Buffer, contentType: string) {
    return fetch(`${world.url}/v1/tenants/${t.tid}/mdm/push-cert`, { method: 'PUT', headers: { authorization: `Bearer ${t.key}`, 'content-type': contentType }, body });
  }

  it('answers a known path asked with the wrong method 405, with Allow listing the methods it takes', async () => {
    const r = await world.api(world.operatorKey, 'DELETE', '/v1/tenants');
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('allow'), 'GET, HEAD, POST');
    assert.equal(r.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.equal(r.body.code, 'METHOD_NOT_ALLOWED');
    assert.equal(r.body.type, 'about:blank');
    const device = await world.api(world.operatorKey, 'PATCH', '/v1/tenants/ten_x/devices/dev_y');
    assert.deepEqual([device.status, device.headers.get('allow')], [405, 'DELETE, GET, HEAD']);
    const unknown = await world.api(world.operatorKey, 'GET', '/v1/nothing-here');
    assert.deepEqual([unknown.status, unknown.body.code], [404, 'ROUTE_NOT_FOUND']);
  });

  it('refuses an empty tenant id (GET /v1/tenants/) naming the missing id, never as tenant ""', async () => {
    const r = await world.api(world.operatorKey, 'GET', '/v1/tenants/');
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'REQUEST_INVALID');
    assert.match(r.body.detail, /path parameter "tid" is empty/);
    assert.doesNotMatch(r.body.detail, /Tenant {2}was not found/);
  });

  it('does not coerce body types: {"name":123} is refused naming name, and creates no tenant "123"', async () => {
    const r = await world.api(world.operatorKey, 'POST', '/v1/tenants', { name: 123 });
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'REQUEST_INVALID');
    assert.match(r.body.detail, /body\/name must be string/);
    assert.deepEqual(r.body.errors, [{ path: '/name', message: 'must be string' }]);
    const list = (await world.api(world.operatorKey, 'GET', '/v1/tenants')).body.items as Array<{ name: string }>;
    assert.ok(!list.some((t) => t.name === '123'));
    const flag = await world.api(world.operatorKey, 'POST', '/v1/tenants/ten_x/notifications', { all: 'true', mdm: true });
    assert.equal(flag.body.code, 'REQUEST_INVALID', 'a string is not a boolean either');
  });

  it('still reads query-string integers as numbers, and refuses ones that are not', async () => {
    const t = await awaitingApple('Query Numbers');
    assert.equal((await world.api(t.key, 'GET', `/v1/tenants/${t.tid}/devices?limit=5`)).status, 200);
    const bad = await world.api(t.key, 'GET', `/v1/tenants/${t.tid}/devices?limit=five`);
    assert.deepEqual([bad.status, bad.body.code], [400, 'REQUEST_INVALID']);
    assert.match(bad.body.detail, /querystring\/limit must be integer/);
  });

  it('refuses an unknown field naming it', async () => {
    const r = await world.api(world.operatorKey, 'POST', '/v1/tenants', { name: 'Acme', colour: 'blue' });
    assert.equal(r.status, 400);
    assert.match(r.body.detail, /unknown field "colour"/);
    const missing = await world.api(world.operatorKey, 'POST', '/v1/tenants', {});
    assert.match(missing.body.detail, /missing the required field "name"/);
  });

  it('refuses a garbage cursor with 400 CURSOR_INVALID instead of answering an empty page', async () => {
    const t = await awaitingApple('Cursors');
    await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/devices`, { platform: 'apns', token: deviceToken(1), topic: 'com.example.app' });
    await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/devices`, { platform: 'apns', token: deviceToken(2), topic: 'com.example.app' });
    const first = await world.api(t.key, 'GET', `/v1/tenants/${t.tid}/devices?limit=1`);
    assert.equal((await world.api(t.key, 'GET', `/v1/tenants/${t.tid}/devices?limit=1&cursor=${first.body.nextCursor}`)).body.items.length, 1, 'a real cursor pages');
    for (const cursor of ['garbage', 'zzz', 'dev_']) {
      const r = await world.api(t.key, 'GET', `/v1/tenants/${t.tid}/devices?cursor=${cursor}`);
      assert.deepEqual([r.status, r.body.code], [400, 'CURSOR_INVALID'], cursor);
    }
    const notification = (await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { devices: [first.body.items[0].id], apns: { aps: { alert: 'x' } } }));
    const nid = notification.body.id ?? 'ntf_none';
    const report = await world.api(t.key, 'GET', `/v1/tenants/${t.tid}/notifications/${nid}?cursor=garbage`);
    assert.equal(report.body.code, notification.status === 202 ? 'CURSOR_INVALID' : 'NOT_FOUND');
  });

  it('accepts a POST whose fields are all optional with no body at all, or an empty JSON body', async () => {
    const t = await awaitingApple('Empty Bodies');
    const none = await fetch(`${world.url}/v1/tenants/${t.tid}/api-keys`, { method: 'POST', headers: { authorization: `Bearer ${world.operatorKey}` } });
    assert.equal(none.status, 201);
    assert.match((await none.json() as { key: string }).key, /^cpk_/);
    const empty = await fetch(`${world.url}/v1/tenants/${t.tid}/api-keys`, { method: 'POST', headers: { authorization: `Bearer ${world.operatorKey}`, 'content-type': 'application/json' } });
    assert.equal(empty.status, 201);
  });

  it('imports the push certificate uploaded as PEM (application/x-pem-file)', async () => {
    const t = await awaitingApple('Raw PEM');
    const r = await put(t, t.cert, 'application/x-pem-file');
    assert.equal(r.status, 200, await r.clone().text());
    assert.equal((await r.json() as { topic: string }).topic, t.topic);
  });

  it('imports the push certificate uploaded as DER (application/pkix-cert)', async () => {
    const t = await awaitingApple('Raw DER');
    const r = await put(t, Buffer.from(parsePem(t.cert)[0]!.der), 'application/pkix-cert');
    assert.equal(r.status, 200, await r.clone().text());
  });

  it('imports the push certificate uploaded as Base64 text (text/plain)', async () => {
    const t = await awaitingApple('Raw Base64');
    const r = await put(t, Buffer.from(parsePem(t.cert)[0]!.der).toString('base64'), 'text/plain');
    assert.equal(r.status, 200, await r.clone().text());
  });

  it('imports a PKCS#12 sent as multipart/form-data with its password', async () => {
    const t = await awaitingApple('Multipart P12');
    const p12 = pkcs12File('multipart', 's3cret', t.cert);
    const form = new FormData();
    form.set('file', new Blob([fs.readFileSync(p12)]), 'push.p12');
    form.set('password', 's3cret');
    const r = await fetch(`${world.url}/v1/tenants/${t.tid}/mdm/push-cert`, { method: 'PUT', headers: { authorization: `Bearer ${t.key}` }, body: form });
    assert.equal(r.status, 200, await r.clone().text());
    const wrong = new FormData();
    wrong.set('file', new Blob([fs.readFileSync(p12)]), 'push.p12');
    wrong.set('password', 'nope');
    const refused = await fetch(`${world.url}/v1/tenants/${t.tid}/mdm/push-cert`, { method: 'PUT', headers: { authorization: `Bearer ${t.key}` }, body: wrong });
    assert.equal((await refused.json() as { code: string }).code, 'P12_WRONG_PASSWORD');
  });

  it('refuses a multipart upload without its file part, or with a part it does not take, naming it', async () => {
    const t = await awaitingApple('Multipart Shape');
    const noFile = new FormData();
    noFile.set('password', 'x');
    const a = await fetch(`${world.url}/v1/tenants/${t.tid}/mdm/push-cert`, { method: 'PUT', headers: { authorization: `Bearer ${t.key}` }, body: noFile });
    const body = await a.json() as { code: string; detail: string };
    assert.deepEqual([a.status, body.code], [400, 'UPLOAD_MULTIPART_INVALID']);
    assert.match(body.detail, /no "file" part/);
    const extra = new FormData();
    extra.set('certificate', new Blob([t.cert]), 'push.pem');
    const b = await fetch(`${world.url}/v1/tenants/${t.tid}/mdm/push-cert`, { method: 'PUT', headers: { authorization: `Bearer ${t.key}` }, body: extra });
    assert.match((await b.json() as { detail: string }).detail, /part "certificate"/);
  });

  it('bounds raw uploads like JSON bodies: a file over 48 KiB is 413 BODY_TOO_LARGE', async () => {
    const t = await awaitingApple('Too Large');
    const r = await put(t, Buffer.alloc(49 * 1024, 0x30), 'application/pkix-cert');
    assert.deepEqual([r.status, (await r.json() as { code: string }).code], [413, 'BODY_TOO_LARGE']);
  });

  it('refuses certificate media types on endpoints that take only JSON', async () => {
    const t = await awaitingApple('Wrong Endpoint');
    const r = await fetch(`${world.url}/v1/tenants/${t.tid}/mdm/csr`, { method: 'POST', headers: { authorization: `Bearer ${t.key}`, 'content-type': 'application/x-pem-file' }, body: t.cert });
    assert.deepEqual([r.status, (await r.json() as { code: string }).code], [415, 'UNSUPPORTED_MEDIA_TYPE']);
  });

  it('names the push certificate request uploaded as the certificate: the file for identity.apple.com/pushcert', async () => {
    const t = await awaitingApple('Request Mistake');
    const xml = Buffer.from(t.request, 'base64').toString('utf8');
    for (const [body, type] of [[t.request, 'text/plain'], [xml, 'application/x-pem-file'], [JSON.stringify({ certificate: t.request }), 'application/json'], [JSON.stringify({ certificate: xml }), 'application/json']] as const) {
      const r = await put(t, body, type);
      const problem = await r.json() as { code: string; detail: string };
      assert.deepEqual([r.status, problem.code], [422, 'PUSH_CERT_IS_REQUEST'], type);
      assert.match(problem.detail, /push certificate request .* you upload to Apple at https:\/\/identity\.apple\.com\/pushcert — not the certificate Apple issues/);
      assert.doesNotMatch(problem.detail, /vendor|mismatch/i);
    }
  });

  it('names a CSR uploaded as the certificate, as PEM or DER', async () => {
    const t = await awaitingApple('CSR Mistake');
    const pem = await put(t, t.csr, 'application/x-pem-file');
    assert.match((await pem.json() as { detail: string }).detail, /certificate signing request \(PEM/);
    const der = await put(t, Buffer.from(parsePem(t.csr)[0]!.der), 'application/pkix-cert');
    const problem = await der.json() as { code: string; detail: string };
    assert.equal(problem.code, 'PUSH_CERT_MISSING');
    assert.match(problem.detail, /certificate signing request \(DER\)/);
  });

  it('names an empty upload as empty, whatever its media type', async () => {
    const t = await awaitingApple('Empty Upload');
    for (const type of ['application/x-pem-file', 'application/pkix-cert', 'text/plain']) {
      const r = await put(t, '', type);
      const problem = await r.json() as { code: string; detail: string };
      assert.deepEqual([r.status, problem.code], [422, 'PUSH_CERT_UNREADABLE'], type);
      assert.match(problem.detail, /The upload is empty/, type);
    }
    const json = await world.api(t.key, 'PUT', `/v1/tenants/${t.tid}/mdm/push-cert`, {});
    assert.match(json.body.detail, /The upload is empty/);
  });

  it('imports with real curl: --data-binary @push.pem as application/x-pem-file, and -F file=@push.p12 -F password=…', async () => {
    const pemTenant = await awaitingApple('Curl PEM');
    const files = writeFiles(dir, { 'push.pem': pemTenant.cert, });
    const pem = await curl(['-X', 'PUT', '--data-binary', `@${files['push.pem']}`, '-H', 'content-type: application/x-pem-file',
      '-H', `authorization: Bearer ${pemTenant.key}`, `${world.url}/v1/tenants/${pemTenant.tid}/mdm/push-cert`]);
    assert.equal(JSON.parse(pem).state, 'active', pem);

    const p12Tenant = await awaitingApple('Curl P12');
    const p12 = pkcs12File('push', 'curl-pass', p12Tenant.cert);
    const multipart = await curl(['-X', 'PUT', '-F', `file=@${p12}`, '-F', 'password=curl-pass',
      '-H', `authorization: Bearer ${p12Tenant.key}`, `${world.url}/v1/tenants/${p12Tenant.tid}/mdm/push-cert`]);
    assert.equal(JSON.parse(multipart).topic, p12Tenant.topic, multipart);
  });

  it('imports the same uploads through app.inject: PEM as it is, and a multipart PKCS#12', async () => {
    const app = world.service.app!;
    const pemTenant = await awaitingApple('Inject PEM');
    const pem = await app.inject({ method: 'PUT', url: `/v1/tenants/${pemTenant.tid}/mdm/push-cert`, headers: { authorization: `Bearer ${pemTenant.key}`, 'content-type': 'application/x-pem-file' }, payload: pemTenant.cert });
    assert.equal(pem.statusCode, 200, pem.body);
    const p12Tenant = await awaitingApple('Inject P12');
    const p12 = pkcs12File('inject', 'inject', p12Tenant.cert);
    const form = new FormData();
    form.set('file', new Blob([fs.readFileSync(p12)]), 'push.p12');
    form.set('password', 'inject');
    const encoded = new Response(form);
    const multipart = await app.inject({
      method: 'PUT', url: `/v1/tenants/${p12Tenant.tid}/mdm/push-cert`,
      headers: { authorization: `Bearer ${p12Tenant.key}`, 'content-type': encoded.headers.get('content-type')! },
      payload: Buffer.from(await encoded.arrayBuffer()),
    });
    assert.equal(multipart.statusCode, 200, multipart.body);
    assert.equal(multipart.json().topic, p12Tenant.topic);
  });

  it('installs the MPNS credential uploaded as PEM (certificate and key in one file)', async () => {
    const t = await awaitingApple('MPNS PEM');
    const r = await fetch(`${world.url}/v1/tenants/${t.tid}/mpns/credential`, {
      method: 'PUT', headers: { authorization: `Bearer ${t.key}`, 'content-type': 'application/x-pem-file' },
      body: `${world.pki.mpnsClient.cert}${world.pki.mpnsClient.key}`,
    });
    assert.equal(r.status, 200, await r.clone().text());
  });

  it('installs the MPNS credential as a multipart PKCS#12 with its password', async () => {
    const t = await awaitingApple('MPNS P12');
    const p12 = pkcs12File('mpns', 'mpns-pass', world.pki.mpnsClient.cert, world.pki.mpnsClient.key);
    const out = await curl(['-X', 'PUT', '-F', `file=@${p12}`, '-F', 'password=mpns-pass', '-H', `authorization: Bearer ${t.key}`, `${world.url}/v1/tenants/${t.tid}/mpns/credential`]);
    assert.ok(JSON.parse(out).serviceName, out);
  });
});
