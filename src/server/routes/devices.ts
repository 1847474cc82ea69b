import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../service/context.ts';
import { deleteDevice, getDevice, importDevices, listDevices, registerDevice } from '../../service/devices.ts';
import { unprocessable } from '../../service/errors.ts';
import { actorOf, requireTenantAccess } from '../auth.ts';
import { deviceView } from '../views.ts';
import { tenantParams, deviceParams } from './params.ts';


/** An import of 100,000 devices as JSON lines is ~20 MB; everything else stays at 1 MB. */
export const IMPORT_BODY_LIMIT = 32 * 1024 * 1024;

export function deviceRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  app.post('/v1/tenants/:tid/devices', {
    schema: {
      summary: 'Register (upsert) a device: mdm {token, pushMagic}, apns {token, topic}, mpns {channelUri}', tags: ['devices'], params: tenantParams,
      body: {
        type: 'object', additionalProperties: false, required: ['platform'],
        properties: {
          platform: { type: 'string', enum: ['mdm', 'apns', 'mpns'] },
          token: { type: 'string', maxLength: 200 }, pushMagic: { type: 'string', maxLength: 256 },
          topic: { type: 'string', maxLength: 255 }, channelUri: { type: 'string', maxLength: 2048 },
        },
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
    schema: { summary: 'Import up to 100,000 devices: JSON lines (application/x-ndjson) or CSV (text/csv, header platform,token,pushMagic,topic,channelUri); all or nothing', tags: ['devices'], params: tenantParams },
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
      summary: 'List devices (cursor pagination, filters)', tags: ['devices'], params: tenantParams,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          platform: { type: 'string', enum: ['mdm', 'apns', 'mpns'] }, status: { type: 'string', enum: ['active', 'invalid'] },
          search: { type: 'string', maxLength: 200 }, cursor: { type: 'string', maxLength: 64 },
          enrollmentId: { type: 'string', maxLength: 300, description: 'MDM: the enrollment id (UDID, or "<UDID>:<UserID>" for a user channel), exactly' },
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
        },
      },
    },
  }, async (request) => {
    const { tid } = request.params as { tid: string };
    requireTenantAccess(request, tid);
    const q = request.query as { platform?: 'mdm' | 'apns' | 'mpns'; status?: 'active' | 'invalid'; search?: string; enrollmentId?: string; cursor?: string; limit: number };
    const page = await listDevices(ctx, tid, { platform: q.platform, status: q.status, search: q.search, enrollmentId: q.enrollmentId, after: q.cursor, limit: q.limit });
    return { items: page.items.map(deviceView), nextCursor: page.nextCursor, total: await ctx.store.devices.count(tid) };
  });

  app.get('/v1/tenants/:tid/devices/:id', { schema: { summary: 'One device', tags: ['devices'], params: deviceParams } }, async (request) => {
    const { tid, id } = request.params as { tid: string; id: string };
    requireTenantAccess(request, tid);
    return deviceView(await getDevice(ctx, tid, id));
  });

  app.delete('/v1/tenants/:tid/devices/:id', { schema: { summary: 'Delete a device', tags: ['devices'], params: deviceParams } }, async (request, reply) => {
    const { tid, id } = request.params as { tid: string; id: string };
    requireTenantAccess(request, tid);
    await deleteDevice(ctx, tid, id);
    return reply.status(204).send();
  });
}
