import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_JSON_DEPTH } from '../../src/server/input-bounds.ts';
import { backends } from '../fixtures/backends.ts';
import { deviceToken, onboardTenant, startWorld, type World } from '../fixtures/service.ts';

/** `{"a":{"a":…1…}}`, `levels` objects deep, as text (JSON.stringify itself would overflow). */
function nested(levels: number): string {
  return `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}

for (const backend of await backends()) {
  describe(`bounded input on ${backend.name}`, { skip: backend.skip }, () => {
    let world: World;
    let t: Awaited<ReturnType<typeof onboardTenant>>;
    const devicesPath = () => `/v1/tenants/${t.tid}/devices`;
    const importPath = () => `/v1/tenants/${t.tid}/devices:import`;
    const count = async () => (await world.api(t.key, 'GET', `${devicesPath()}?limit=1`)).body.total.total as number;

    it('refuses JSON nested 100,000 levels under apns or mpns with 400, naming the bound', async () => {
      world = await startWorld(backend);
      t = await onboardTenant(world, 'Bounds');
      for (const field of ['apns', 'mpns']) {
        const body = `{"all":true,"${field}":${nested(100_000)}}`;
        const r = await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, body, { 'content-type': 'application/json' });
        assert.equal(r.status, 400, `${field}: ${JSON.stringify(r.body).slice(0, 300)}`);
        assert.equal(r.body.code, 'REQUEST_TOO_DEEP');
        assert.match(r.body.detail, new RegExp(`body/${field}/a/a.*deeper than ${MAX_JSON_DEPTH} levels`));
      }
    });

    it('lets JSON nested within the bound through to the schema check', async () => {
      const r = await world.api(t.key, 'POST', devicesPath(), `{"platform":"mdm","token":"${deviceToken(1)}","pushMagic":"m","topic":${nested(MAX_JSON_DEPTH - 2)}}`, { 'content-type': 'application/json' });
      assert.equal(r.status, 400, 'refused by the schema (topic is a string), not by the depth bound');
      assert.equal(r.body.code, 'REQUEST_INVALID');
    });

    it('refuses a NUL byte in a device registration with 400 naming the field', async () => {
      const r = await world.api(t.key, 'POST', devicesPath(), { platform: 'mdm', token: deviceToken(2), pushMagic: 'ma\u0000gic' });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.code, 'REQUEST_NUL_BYTE');
      assert.match(r.body.detail, /body\/pushMagic contains a NUL byte/);
      assert.equal(await count(), 0);
    });

    it('refuses a NUL byte in ?search= with 400 naming the parameter', async () => {
      const r = await world.api(t.key, 'GET', `${devicesPath()}?search=ab%00cd`);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.code, 'REQUEST_NUL_BYTE');
      assert.match(r.body.detail, /query\/search/);
    });

    it('refuses a NUL byte in an API key label with 400 naming the field', async () => {
      const r = await world.api(world.operatorKey, 'POST', `/v1/tenants/${t.tid}/api-keys`, { label: 'ci\u0000bot' });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.code, 'REQUEST_NUL_BYTE');
      assert.match(r.body.detail, /body\/label/);
    });

    it('accepts device tokens of 64 to 200 hex digits and refuses longer ones', async () => {
      const ok = await world.api(t.key, 'POST', devicesPath(), { platform: 'mdm', token: 'ab'.repeat(100), pushMagic: 'm' });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      const long = await world.api(t.key, 'POST', devicesPath(), { platform: 'mdm', token: 'ab'.repeat(101), pushMagic: 'm' });
      assert.equal(long.status, 400);
      await world.api(t.key, 'DELETE', `${devicesPath()}/${ok.body.id}`);
    });

    it('takes "expiration" as UNIX seconds, as documented, and as an ISO 8601 time', async () => {
      await world.api(t.key, 'POST', devicesPath(), { platform: 'mdm', token: deviceToken(3), pushMagic: 'm' });
      const inAnHour = Math.floor(Date.now() / 1000) + 3600;
      const seconds = await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { all: true, mdm: true, expiration: inAnHour });
      assert.equal(seconds.status, 202, JSON.stringify(seconds.body));
      const iso = await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { all: true, mdm: true, expiration: new Date(inAnHour * 1000).toISOString() });
      assert.equal(iso.status, 202, JSON.stringify(iso.body));
      const past = await world.api(t.key, 'POST', `/v1/tenants/${t.tid}/notifications`, { all: true, mdm: true, expiration: inAnHour - 7200 });
      assert.equal(past.status, 422);
      assert.match(past.body.detail, /in the past/);
    });

    describe('imports, with the limits of a single registration', () => {
      const lines = (n: number, salt: string) => Array.from({ length: n }, (_, i) => JSON.stringify({ platform: 'mdm', token: deviceToken(i, salt), pushMagic: `m${i}` }));
      const send = (body: string, type = 'application/x-ndjson') => world.api(t.key, 'POST', importPath(), body, { 'content-type': type });

      it('a NUL byte in line 2,000 refuses the whole import with 422 naming the line, and keeps no device', async () => {
        const before = await count();
        const body = lines(3000, 'b');
        body[1999] = JSON.stringify({ platform: 'mdm', token: deviceToken(1999, 'b'), pushMagic: 'm\u0000' });
        const r = await send(body.join('\n'));
        assert.equal(r.status, 422, JSON.stringify(r.body).slice(0, 300));
        assert.equal(r.body.code, 'IMPORT_INVALID');
        assert.deepEqual(r.body.problems, [{ line: 2000, code: 'DEVICE_NUL_BYTE', message: '"pushMagic" contains a NUL byte (\\u0000), which certpush does not store. Remove it.' }]);
        assert.equal(await count(), before);
      });

      it('a 1,000,000-digit token is refused unparsed, as a line too long', async () => {
        const r = await send([...lines(2, 'c'), JSON.stringify({ platform: 'mdm', token: 'a'.repeat(1_000_000), pushMagic: 'm' })].join('\n'));
        assert.equal(r.status, 422);
        assert.equal(r.body.problems[0].line, 3);
        assert.match(r.body.problems[0].message, /is 1000\d{3} characters long; a device line is at most 4096/);
      });

      it('a token longer than 200 hex digits, an unknown field or a CSV cell with a NUL byte is refused per line', async () => {
        const jsonl = await send([
          JSON.stringify({ platform: 'mdm', token: 'ab'.repeat(101), pushMagic: 'm' }),
          JSON.stringify({ platform: 'mdm', token: deviceToken(1, 'd'), pushMagic: 'm', admin: true }),
          JSON.stringify({ platform: 'mdm', token: deviceToken(2, 'd'), pushMagic: 'm' }),
        ].join('\n'));
        assert.equal(jsonl.status, 422);
        assert.deepEqual(jsonl.body.problems.map((p: { line: number; code: string }) => [p.line, p.code]), [[1, 'DEVICE_TOKEN_INVALID'], [2, 'DEVICE_FIELD_UNKNOWN']]);
        const csv = await send(['platform,token,pushMagic', `mdm,${deviceToken(3, 'd')},m`, `mdm,${deviceToken(4, 'd')},m\u0000`].join('\n'), 'text/csv');
        assert.equal(csv.status, 422);
        assert.deepEqual(csv.body.problems.map((p: { line: number; code: string }) => [p.line, p.code]), [[3, 'DEVICE_NUL_BYTE']]);
        assert.equal(await count(), 1, 'only the device registered earlier');
      });

      it('more than 100,000 lines are refused before any is stored', async () => {
        const r = await send(lines(100_001, 'e').join('\n'));
        assert.equal(r.status, 422);
        assert.equal(r.body.code, 'IMPORT_TOO_LARGE');
        assert.equal(await count(), 1);
      });
    });
  });
}
