import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../service/context.ts';
import { deleteDevice, getDevice, importDevices, listDevicesJson, registerDevice } from '../../service/devices.ts';
import { unprocessable } from '../../service/errors.ts';
import { actorOf, requireTenantAccess } from '../auth.ts';
import { deviceView } from '../views.ts';
import { json, noContent, problems, WITH_BODY } from '../openapi/responses.ts';
import { tenantParams, deviceParams } from './params.ts';


/** An import of 100,000 devices as JSON lines is ~20 MB; everything else stays at 1 MB. */
export const IMPORT_BODY_LIMIT = 32 * 1024 * 1024;

export function deviceRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.post('/v1/tenants/:tid/devices', {
    schema: {
      operationId: 'registerDevice', summary: 'Register (upsert) a device: mdm {token, pushMagic}, apns {token, topic}, mpns {channelUri}', tags: ['devices'], params: tenantParams,
      body: {
        type: 'object', additionalProperties: false, required: ['platform'],
        properties: {
          platform: { type: 'string', enum: ['mdm', 'apns', 'mpns'] },
          token: { type: 'string', maxLength: 200, description: 'mdm, apns: the device token, hex' }, pushMagic: { type: 'string', maxLength: 256, description: 'mdm: from the TokenUpdate' },
          topic: { type: 'string', maxLength: 255, description: 'apns: the app\'s bundle id' }, channelUri: { type: 'string', maxLength: 2048, description: 'mpns: the channel URI' },
        },
        examples: [{ platform: 'mdm', token: '5f1c0e…64 hex…', pushMagic: '8B5A3C2E-7F41-4D8A-9C3B-2E1F0A9D8C7B' }],
      },
      response: {
        200: json('Device', 'The device existed (same token): updated'),
        201: json('Device', 'A new device', {
          id: 'dev_8d2k1m0q7w3e', platform: 'mdm', token: '5f1c0e…', pushMagic: '8B5A3C2E-7F41-4D8A-9C3B-2E1F0A9D8C7B', status: 'active',
          invalidAt: null, invalidReason: null, createdAt: '2026-01-05T10:00:00.000Z', updatedAt: '2026-01-05T10:00:00.000Z',
        }),
        ...problems(404, 409, 422, ...WITH_BODY),
      },
    },
  }, async (request, reply) => {
    const { tid } = request.params as { tid: string };
    requireTenantAccess(request, tid);
    const device = await registerDevice(ctx, tid, request.body);
    return reply.status(device.createdAt === device.updatedAt ? 201 : 200).send(deviceView(device));
  });

  // "devices:import" — the colon is literal (Fastify's "::" escape), as in Google's AIP custom methods.
  app.post('/v1/tenants/:tid/devices::import', {
    bodyLimit: IMPORT_BODY_LIMIT,
    schema: {
      operationId: 'importDevices', summary: 'Import up to 100,000 devices: JSON lines (application/x-ndjson) or CSV (text/csv, header platform,token,pushMagic,topic,channelUri); all or nothing', tags: ['devices'], params: tenantParams,
      description: 'Each line is one device as POST …/devices takes it. All or nothing: one bad line refuses the import (422, with the lines in problems). Up to 32 MB.',
      rawBodies: {
        'application/x-ndjson': { schema: { type: 'string', examples: ['{"platform":"mdm","token":"5f1c…","pushMagic":"8B5A…"}\n{"platform":"mpns","channelUri":"https://db3.notify.live.net/throttledthirdparty/01.00/…"}\n'] }, description: 'One JSON object per line' },
        'application/jsonl': { schema: { type: 'string' }, description: 'The same as application/x-ndjson' },
        'text/csv': { schema: { type: 'string', examples: ['platform,token,pushMagic,topic,channelUri\nmdm,5f1c…,8B5A…,,\n'] }, description: 'Header platform,token,pushMagic,topic,channelUri, then one device a row' },
      },
      response: { 200: json('ImportResult', 'All imported', { imported: 2 }), ...problems(404, 409, 422, ...WITH_BODY) },
    },
  }, async (request) => {
    const { tid } = request.params as { tid: string };
    const principal = requireTenantAccess(request, tid);
    const type = String(request.headers['content-type'] ?? '').split(';')[0]!.trim();
    const format = type === 'text/csv' ? 'csv' : type === 'application/x-ndjson' || type === 'application/jsonl' ? 'jsonl' : null;
    if (!format || typeof request.body !== 'string') throw unprocessable('IMPORT_CONTENT_TYPE', 'Send the devices as application/x-ndjson (one JSON object per line) or text/csv.');
    return importDevices(ctx, actorOf(principal), tid, request.body, format);
  });

  app.get('/v1/tenants/:tid/devices', {
    schema: {
      operationId: 'listDevices', summary: 'List devices (cursor pagination, filters)', tags: ['devices'], params: tenantParams,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          platform: { type: 'string', enum: ['mdm', 'apns', 'mpns'] }, status: { type: 'string', enum: ['active', 'invalid'] },
          search: { type: 'string', maxLength: 200 }, cursor: { type: 'string', maxLength: 64 },
          enrollmentId: { type: 'string', maxLength: 300, description: 'MDM: the enrollment id (UDID, or "<UDID>:<UserID>" for a user channel), exactly' },
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
        },
      },
      response: { 200: json('DevicePage', 'A page of devices, oldest first'), ...problems(404) },
    },
  }, async (request, reply) => {
    const { tid } = request.params as { tid: string };
    requireTenantAccess(request, tid);
    const q = request.query as { platform?: 'mdm' | 'apns' | 'mpns'; status?: 'active' | 'invalid'; search?: string; enrollmentId?: string; cursor?: string; limit: number };
    const body = await listDevicesJson(ctx, tid, { platform: q.platform, status: q.status, search: q.search, enrollmentId: q.enrollmentId, after: q.cursor, limit: q.limit });
    // Already JSON: Fastify sends a string with a JSON content type as it is.
    return reply.type('application/json; charset=utf-8').send(body);
  });

  app.get('/v1/tenants/:tid/devices/:id', { schema: { operationId: 'getDevice', summary: 'One device: its token, status and when it was last updated', tags: ['devices'], params: deviceParams, response: { 200: json('Device', 'The device'), ...problems(404) } } }, async (request) => {
    const { tid, id } = request.params as { tid: string; id: string };
    requireTenantAccess(request, tid);
    return deviceView(await getDevice(ctx, tid, id));
  });

  app.delete('/v1/tenants/:tid/devices/:id', { schema: { operationId: 'deleteDevice', summary: 'Delete a device', tags: ['devices'], params: deviceParams, response: { 204: noContent('Deleted'), ...problems(404) } } }, async (request, reply) => {
    const { tid, id } = request.params as { tid: string; id: string };
    requireTenantAccess(request, tid);
    await deleteDevice(ctx, tid, id);
    return reply.status(204).send();
  });
}
