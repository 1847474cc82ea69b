import { DEVICE_TOKEN_PATTERN, TOPIC_PATTERN } from '../apns/request-rules.ts';
import { isCertpushError } from '../errors.ts';
import { ChannelUriGuard } from '../mpns/channel-uri-guard.ts';
import type { Device, DeviceFilter, DeviceInput } from '../store/devices.ts';
import { type Actor, actorName, type ServiceContext } from './context.ts';
import { notFound, unprocessable } from './errors.ts';
import { requireTenant } from './tenants.ts';

/** One request may import at most this many devices. */
export const MAX_IMPORT = 100_000;
/** PushMagic is a UUID in practice; allow some slack, refuse anything absurd. */
const MAX_PUSH_MAGIC = 256;

/** A device registration as the API takes it. */
export type Registration =
  | { platform: 'mdm'; token: string; pushMagic: string }
  | { platform: 'apns'; token: string; topic: string }
  | { platform: 'mpns'; channelUri: string };

/** Check one registration and turn it into a stored device; throws a CertpushError naming the problem. */
export function validateRegistration(input: unknown, guard: ChannelUriGuard): DeviceInput {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw unprocessable('DEVICE_INVALID', 'A device is an object: {"platform":"mdm","token":…,"pushMagic":…}, {"platform":"apns","token":…,"topic":…} or {"platform":"mpns","channelUri":…}.');
  }
  const r = input as Record<string, unknown>;
  const str = (field: string) => (typeof r[field] === 'string' ? (r[field] as string).trim() : '');
  switch (r.platform) {
    case 'mdm':
    case 'apns': {
      const token = str('token').toLowerCase();
      if (!DEVICE_TOKEN_PATTERN.test(token)) throw unprocessable('DEVICE_TOKEN_INVALID', `The device token must be hexadecimal, at least 64 characters (got ${token.length ? `"${token.slice(0, 16)}…", ${token.length} characters` : 'none'}).`);
      if (r.platform === 'mdm') {
        const pushMagic = str('pushMagic');
        if (!pushMagic || pushMagic.length > MAX_PUSH_MAGIC) throw unprocessable('DEVICE_PUSH_MAGIC_INVALID', 'An MDM device needs its PushMagic string (from its TokenUpdate check-in), at most 256 characters.');
        return { platform: 'mdm', token, pushMagic };
      }
      const topic = str('topic');
      if (!topic || !TOPIC_PATTERN.test(topic)) throw unprocessable('DEVICE_TOPIC_INVALID', 'An APNs device needs the app\'s topic (its bundle id, e.g. com.example.app).');
      return { platform: 'apns', token, topic };
    }
    case 'mpns': {
      const uri = str('channelUri');
      try {
        guard.check(uri);
      } catch (error) {
        if (isCertpushError(error)) throw unprocessable(error.code, error.message);
        throw error;
      }
      return { platform: 'mpns', token: uri };
    }
    default:
      throw unprocessable('DEVICE_PLATFORM_INVALID', `Unknown platform ${JSON.stringify(r.platform)}: use "mdm", "apns" or "mpns".`);
  }
}

export function channelGuard(ctx: ServiceContext): ChannelUriGuard {
  return new ChannelUriGuard(ctx.config.mpnsAllowedHosts);
}

export async function registerDevice(ctx: ServiceContext, tenantId: string, input: unknown): Promise<Device> {
  await requireTenant(ctx, tenantId);
  const [device] = await ctx.store.devices.upsertMany(tenantId, [validateRegistration(input, channelGuard(ctx))], ctx.now().getTime());
  return device!;
}

/** A line that could not be imported. */
export interface ImportProblem {
  line: number;
  code: string;
  message: string;
}

/**
 * Import devices from JSON lines or CSV (header: platform,token,pushMagic,topic,channelUri).
 * All or nothing: every line is checked first and any problem refuses the whole import
 * (listing up to 100 problems); then the devices are upserted.
 */
export async function importDevices(ctx: ServiceContext, actor: Actor, tenantId: string, body: string, format: 'jsonl' | 'csv'): Promise<{ imported: number }> {
  await requireTenant(ctx, tenantId);
  const records = format === 'csv' ? parseCsv(body) : parseJsonLines(body);
  if (records.length > MAX_IMPORT) throw unprocessable('IMPORT_TOO_LARGE', `${records.length} devices in one import; the limit is ${MAX_IMPORT}. Split the file.`);
  if (records.length === 0) throw unprocessable('IMPORT_EMPTY', 'The import holds no devices.');
  const guard = channelGuard(ctx);
  const devices: DeviceInput[] = [];
  const problems: ImportProblem[] = [];
  for (const { line, value, error } of records) {
    if (error) {
      problems.push({ line, code: 'IMPORT_LINE_UNPARSABLE', message: error });
      continue;
    }
    try {
      devices.push(validateRegistration(value, guard));
    } catch (e) {
      if (!isCertpushError(e)) throw e;
      problems.push({ line, code: e.code, message: e.message });
    }
  }
  if (problems.length > 0) {
    const error = unprocessable('IMPORT_INVALID', `${problems.length} line(s) cannot be imported; nothing was imported. First: line ${problems[0]!.line}: ${problems[0]!.message}`);
    (error as typeof error & { problems?: ImportProblem[] }).problems = problems.slice(0, 100);
    throw error;
  }
  const stored = await ctx.store.devices.upsertMany(tenantId, devices, ctx.now().getTime());
  await ctx.store.audit.record({ tenantId, actor: actorName(actor), action: 'devices.imported', detail: { count: stored.length, format } });
  return { imported: stored.length };
}

interface ParsedRecord {
  line: number;
  value?: unknown;
  error?: string;
}

function parseJsonLines(body: string): ParsedRecord[] {
  const out: ParsedRecord[] = [];
  body.split(/\r?\n/).forEach((text, i) => {
    if (text.trim() === '') return;
    try {
      out.push({ line: i + 1, value: JSON.parse(text) });
    } catch {
      out.push({ line: i + 1, error: 'not valid JSON: each line must be one JSON object' });
    }
  });
  return out;
}

const CSV_COLUMNS = ['platform', 'token', 'pushMagic', 'topic', 'channelUri'];

function parseCsv(body: string): ParsedRecord[] {
  const lines = body.split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '').map((h) => h.trim());
  const unknown = header.filter((h) => !CSV_COLUMNS.includes(h));
  if (!header.includes('platform') || unknown.length > 0) {
    throw unprocessable('IMPORT_CSV_HEADER', `The first CSV line must name the columns, from: ${CSV_COLUMNS.join(',')} (platform is required)${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}.`);
  }
  const out: ParsedRecord[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue;
    const cells = splitCsvLine(lines[i]!);
    if (cells.length !== header.length) {
      out.push({ line: i + 1, error: `has ${cells.length} fields; the header has ${header.length}` });
      continue;
    }
    out.push({ line: i + 1, value: Object.fromEntries(header.map((h, j) => [h, cells[j]])) });
  }
  return out;
}

/** RFC 4180 fields: commas separate, double quotes enclose, "" is a quote inside quotes. */
function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') { cells.push(cell); cell = ''; } else cell += c;
  }
  cells.push(cell);
  return cells;
}

export async function listDevices(ctx: ServiceContext, tenantId: string, filter: DeviceFilter): Promise<{ items: Device[]; nextCursor: string | null }> {
  await requireTenant(ctx, tenantId);
  const items = await ctx.store.devices.list(tenantId, { ...filter, limit: filter.limit + 1 });
  const more = items.length > filter.limit;
  const page = more ? items.slice(0, filter.limit) : items;
  return { items: page, nextCursor: more ? page.at(-1)!.id : null };
}

export async function getDevice(ctx: ServiceContext, tenantId: string, id: string): Promise<Device> {
  const device = await ctx.store.devices.get(tenantId, id);
  if (!device) throw notFound(`Device ${id}`);
  return device;
}

export async function deleteDevice(ctx: ServiceContext, tenantId: string, id: string): Promise<void> {
  if (!(await ctx.store.devices.remove(tenantId, id))) throw notFound(`Device ${id}`);
}
