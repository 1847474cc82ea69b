import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { backends } from '../fixtures/backends.ts';
import { ResponseContract, type OpenApiDocument } from '../fixtures/openapi-responses.ts';
import { startWorld, type World } from '../fixtures/service.ts';

interface Media { schema?: { $ref?: string; [key: string]: unknown }; example?: unknown }
interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  requestBody?: { required?: boolean; content: Record<string, Media> };
  responses: Record<string, { description: string; content?: Record<string, Media> }>;
}
interface Document extends OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { required?: string[]; properties?: Record<string, unknown> }> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const sqlite = (await backends()).find((backend) => backend.name === 'sqlite')!;
let started: Promise<World> | undefined;
/** One service for the whole file. */
const service = (): Promise<World> => (started ??= startWorld(sqlite));

function operations(document: Document): Array<{ path: string; method: string; operation: Operation; name: string }> {
  return Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item)
    .filter(([method]) => METHODS.includes(method))
    .map(([method, operation]) => ({ path, method, operation, name: `${method.toUpperCase()} ${path}` })));
}

describe('the OpenAPI document the service serves (/openapi.json)', () => {
  let document: Document;

  it('is a valid OpenAPI 3.1 document', async () => {
    const world = await service();
    const response = await fetch(`${world.url}/openapi.json`);
    assert.equal(response.status, 200);
    document = await response.json() as Document;
    assert.equal(document.openapi, '3.1.0');
    const result = await new Validator().validate(document as never);
    assert.deepEqual(result.errors ?? [], [], 'the validator found errors');
    assert.equal(result.valid, true);
  });

  it('documents every API route: tenants, mdm, mpns, devices, notifications, webhooks, operator and the probes', () => {
    const ids = operations(document).map((o) => o.operation.operationId);
    for (const id of ['createTenant', 'listTenants', 'whoAmI', 'getTenant', 'createTenantApiKey', 'listTenantApiKeys', 'revokeTenantApiKey', 'listTenantAudit', 'createMdmCsr', 'signMdmPushCertRequest',
      'uploadMdmPushCertRequest', 'downloadMdmPushCertRequest', 'importMdmPushCert', 'getMdmPushCert', 'rotateMdmCheckinSecret', 'receiveMdmCheckin',
      'pushMdmEnrollments', 'pushMdmEnrollmentsByGet', 'installMpnsCredential', 'getMpnsCredential', 'registerDevice', 'importDevices', 'listDevices',
      'getDevice', 'deleteDevice', 'sendNotification', 'listNotifications', 'getNotificationReport', 'registerWebhook', 'getWebhook', 'deleteWebhook',
      'getOperatorStatus', 'getHealth', 'getReadiness']) {
      assert.ok(ids.includes(id), `${id} is documented`);
    }
  });

  it('gives every operation a unique camelCase operationId, a summary and a tag', () => {
    const seen = new Set<string>();
    for (const { name, operation } of operations(document)) {
      assert.match(operation.operationId ?? '', /^[a-z][a-zA-Z0-9]*$/, `${name}: operationId`);
      assert.ok(!seen.has(operation.operationId!), `${name}: operationId ${operation.operationId} is used twice`);
      seen.add(operation.operationId!);
      assert.ok(operation.summary && operation.summary.length > 10, `${name}: summary`);
      assert.equal(operation.tags?.length, 1, `${name}: one tag`);
    }
  });

  it('documents a 2xx response with a schema for every operation, or a 204 without a body', () => {
    for (const { name, operation } of operations(document)) {
      const successes = Object.entries(operation.responses).filter(([status]) => /^2/.test(status));
      assert.ok(successes.length > 0, `${name}: a 2xx response`);
      for (const [status, response] of successes) {
        if (status === '204') {
          assert.equal(response.content, undefined, `${name}: 204 has no body`);
          continue;
        }
        const media = Object.entries(response.content ?? {});
        assert.ok(media.length > 0, `${name}: ${status} has content`);
        for (const [type, { schema }] of media) assert.ok(schema && Object.keys(schema).length > 0, `${name}: ${status} ${type} has a schema`);
      }
      assert.ok(!operation.responses['200'] || !('Default Response' === operation.responses['200'].description), `${name}: a real description`);
    }
  });

  it('answers every 4xx with application/problem+json referencing the shared Problem schema', () => {
    for (const { name, operation } of operations(document)) {
      const errors = Object.entries(operation.responses).filter(([status]) => /^4/.test(status));
      if (!name.endsWith('/healthz') && !name.endsWith('/readyz')) assert.ok(errors.length >= 2, `${name}: documents its 4xx answers`);
      for (const [status, response] of errors) {
        assert.deepEqual(Object.keys(response.content ?? {}), ['application/problem+json'], `${name}: ${status} media type`);
        assert.equal(response.content!['application/problem+json']!.schema!.$ref, '#/components/schemas/Problem', `${name}: ${status} is a Problem`);
      }
      for (const [status, response] of Object.entries(operation.responses).filter(([s]) => /^5/.test(s))) {
        assert.equal(response.content?.['application/problem+json']?.schema?.$ref, '#/components/schemas/Problem', `${name}: ${status} can be a Problem`);
      }
    }
  });

  it('describes Problem as RFC 9457 problem details with certpush\'s code and the errors, findings and problems extensions', () => {
    const problem = document.components.schemas.Problem!;
    assert.deepEqual(problem.required, ['type', 'title', 'status', 'detail', 'code']);
    for (const field of ['type', 'title', 'status', 'detail', 'code', 'errors', 'findings', 'problems']) assert.ok(problem.properties?.[field], `Problem.${field}`);
  });

  it('keeps the shared shapes in components.schemas under their own names, and the operations refer to them', () => {
    for (const name of ['Problem', 'Finding', 'Tenant', 'Device', 'DevicePage', 'MdmCert', 'MpnsCredential', 'SentNotification', 'NotificationReport', 'Webhook', 'PushAnswer']) {
      assert.ok(document.components.schemas[name], `components.schemas.${name}`);
    }
    const text = JSON.stringify(document.paths);
    for (const name of ['Tenant', 'Device', 'NotificationReport', 'MdmCert']) assert.ok(text.includes(`"#/components/schemas/${name}"`), `an operation refers to ${name}`);
    assert.ok(!Object.keys(document.components.schemas).some((name) => name.startsWith('def-')), 'no anonymous def-N components');
  });

  it('documents device imports as NDJSON, JSON lines and CSV', () => {
    const body = document.paths['/v1/tenants/{tid}/devices:import']!.post!.requestBody!;
    assert.deepEqual(Object.keys(body.content).sort(), ['application/jsonl', 'application/x-ndjson', 'text/csv']);
    assert.equal(body.required, true);
  });

  it('documents the push certificate upload as JSON, PEM, DER, Base64 text and a multipart form with file and password', () => {
    const body = document.paths['/v1/tenants/{tid}/mdm/push-cert']!.put!.requestBody!;
    assert.deepEqual(Object.keys(body.content).sort(), ['application/json', 'application/pkix-cert', 'application/x-pem-file', 'multipart/form-data', 'text/plain']);
    const form = body.content['multipart/form-data']!.schema as { properties: Record<string, unknown>; required: string[] };
    assert.ok(form.properties.file && form.properties.password);
    assert.deepEqual(form.required, ['file']);
    const json = body.content['application/json']!.schema as { properties: Record<string, unknown> };
    assert.deepEqual(Object.keys(json.properties).sort(), ['certificate', 'force', 'password', 'pkcs12']);
  });

  it('marks a request body optional only where every field is optional', () => {
    assert.equal(document.paths['/v1/tenants/{tid}/api-keys']!.post!.requestBody!.required, false);
    assert.equal(document.paths['/v1/tenants']!.post!.requestBody!.required, true);
  });

  it('shows examples on the main operations, and every example matches its schema', () => {
    const contract = new ResponseContract(document);
    let examples = 0;
    for (const { path, method, name, operation } of operations(document)) {
      const media: Array<[string[], Media]> = [
        ...Object.entries(operation.requestBody?.content ?? {}).map(([type, m]): [string[], Media] => [['paths', path, method, 'requestBody', 'content', type, 'schema'], m]),
        ...Object.entries(operation.responses).flatMap(([status, r]) => Object.entries(r.content ?? {}).map(([type, m]): [string[], Media] => [['paths', path, method, 'responses', status, 'content', type, 'schema'], m])),
      ];
      for (const [pointer, { example }] of media) {
        if (example === undefined) continue;
        examples += 1;
        const validate = contract.validatorAt(pointer);
        assert.ok(validate(example), `${name}: the example at ${pointer.slice(3).join(' ')} does not match: ${JSON.stringify(validate.errors)}`);
      }
    }
    for (const id of ['createTenant', 'importMdmPushCert', 'registerDevice', 'sendNotification', 'getNotificationReport', 'importDevices']) {
      const found = operations(document).find((o) => o.operation.operationId === id)!;
      assert.ok(JSON.stringify(found.operation).includes('"example'), `${id} has an example`);
    }
    assert.ok(examples >= 15, `${examples} examples`);
  });
});

describe('the response check the API tests run (test/fixtures/openapi-responses.ts)', () => {
  it('passes a documented response and names an undocumented status, media type or body shape', async () => {
    const world = await service();
    const contract = new ResponseContract(await (await fetch(`${world.url}/openapi.json`)).json() as OpenApiDocument);
    const device = { id: 'dev_1', platform: 'mdm', token: 'ab', status: 'active', invalidAt: null, invalidReason: null, createdAt: '2026-01-05T10:00:00.000Z', updatedAt: '2026-01-05T10:00:00.000Z' };
    const path = '/v1/tenants/{tid}/devices/{id}';
    assert.equal(contract.check('GET', path, 200, 'application/json; charset=utf-8', JSON.stringify(device)), null);
    assert.equal(contract.check('DELETE', path, 204, undefined, undefined), null);
    assert.equal(contract.check('GET', path, 404, 'application/problem+json; charset=utf-8', JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'x', code: 'NOT_FOUND' })), null);
    assert.match(contract.check('GET', path, 201, 'application/json', JSON.stringify(device)) ?? '', /status 201 is not documented/);
    assert.match(contract.check('GET', path, 200, 'text/html', '<p>') ?? '', /Content-Type text\/html is not documented/);
    assert.match(contract.check('GET', path, 200, 'application/json', JSON.stringify({ ...device, status: 'gone' })) ?? '', /\/status must be equal to one of the allowed values/);
    assert.match(contract.check('GET', path, 200, 'application/json', JSON.stringify({ ...device, secret: 'x' })) ?? '', /must NOT have additional properties \(secret\)/);
    assert.match(contract.check('GET', path, 404, 'application/problem+json', JSON.stringify({ message: 'nope' })) ?? '', /must have required property 'type'/);
    assert.match(contract.check('DELETE', path, 204, undefined, 'surprise') ?? '', /documented without one/);
    assert.equal(contract.take().length, 6);
    assert.deepEqual(contract.take(), []);
    // The client's side (services in another process) finds the template of a request path.
    assert.equal(contract.pathOf('/v1/tenants/ten_1/devices/dev_2'), path);
    assert.equal(contract.pathOf('/v1/tenants/ten_1/devices:import'), '/v1/tenants/{tid}/devices:import');
    assert.equal(contract.pathOf('/v1/whoami'), '/v1/whoami');
    assert.equal(contract.pathOf('/v1/tenants/ten_1/nothing'), null);
    // Outside the document (the console, unknown URLs): not an operation, not checked.
    assert.equal(contract.check('GET', '/console/app.ts', 200, 'text/javascript', 'x'), null);
  });
});

describe('the API reference page (/docs)', () => {
  let html: string;

  it('is one self-contained HTML page: no script, nothing loaded from another host', async () => {
    const world = await service();
    const response = await fetch(`${world.url}/docs`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    html = await response.text();
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i, 'no external resources');
    assert.doesNotMatch(html, /@import|url\(/i, 'no external stylesheets or fonts');
  });

  it('groups the operations by tag, each with its method, path, summary and operationId', () => {
    const mdm = html.slice(html.indexOf('<section class="tag" id="tag-mdm">'), html.indexOf('</section>', html.indexOf('id="tag-mdm"')));
    assert.ok(mdm.length > 0, 'an mdm section');
    const operation = mdm.slice(mdm.indexOf('id="op-importMdmPushCert"'), mdm.indexOf('</details>', mdm.indexOf('id="op-importMdmPushCert"')));
    assert.match(operation, /<span class="m put">PUT<\/span> <code>\/v1\/tenants\/\{tid\}\/mdm\/push-cert<\/code> — Import Apple's MDM push certificate/);
    assert.match(operation, /<h4>Parameters<\/h4>.*<code>tid<\/code><\/td><td>path<\/td><td class="type">string<\/td><td class="req">required/s);
    for (const type of ['application/json', 'application/x-pem-file', 'application/pkix-cert', 'text/plain', 'multipart/form-data']) assert.ok(operation.includes(`<code>${type}</code>`), `request media type ${type}`);
  });

  it('renders each response with its status and its schema\'s fields: name, type, required, description', () => {
    const operation = html.slice(html.indexOf('id="op-importMdmPushCert"'), html.indexOf('</details>', html.indexOf('id="op-importMdmPushCert"')));
    assert.match(operation, /<span class="status s2">200<\/span> Imported/);
    assert.match(operation, /<code>application\/json<\/code>: <span class="type"><a href="#schema-MdmCert">MdmCert<\/a><\/span>/);
    assert.match(operation, /<tr><td><code>pendingRequest<\/code><\/td><td class="type">string \| null<\/td><td class="req">required<\/td><td>The Base64 request for Apple's portal, once signed/);
    assert.match(operation, /<tr><td><code>issuer\.apple<\/code><\/td><td class="type">boolean<\/td>/);
    assert.match(operation, /<span class="status s4">422<\/span><\/td><td>The content was read but refused/);
  });

  it('lists every component schema with its fields, linked from the operations', () => {
    const tenant = html.slice(html.indexOf('<section class="schema" id="schema-Tenant">'));
    assert.match(tenant, /^<section class="schema" id="schema-Tenant"><h3>Tenant<\/h3><table>.*<code>mdm\.state<\/code><\/td><td class="type"><a href="#schema-MdmCertState">MdmCertState<\/a>/s);
    assert.match(html, /<section class="schema" id="schema-MdmCertState"><h3>MdmCertState<\/h3><p>none → awaiting-signature.*<p class="type">"none" \| "awaiting-signature"/s);
  });
});
