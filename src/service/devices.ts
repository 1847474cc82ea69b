import { DEVICE_TOKEN_PATTERN, TOPIC_PATTERN } from '../apns/request-rules.ts';
import { isCertpushError } from '../errors.ts';
import { ChannelUriGuard } from '../mpns/channel-uri-guard.ts';
import type { Device, DeviceFilter, DeviceInput } from '../store/devices.ts';
import type { AuditRole } from '../store/roles/audit.ts';
import type { DevicesRole } from '../store/roles/devices.ts';
import type { TenantsRole } from '../store/roles/tenants.ts';
import { type Actor, actorName, type ServiceContext } from './context.ts';
import { checkCursor, DEVICE_CURSOR } from './cursor.ts';
import { notFound, unprocessable } from './errors.ts';
import { LoopSlices } from './loop-slices.ts';
import { requireTenantExists } from './tenants.ts';

/** One request may import at most this many devices. */
export const MAX_IMPORT = 100_000;
/** A line of an import is one device: far below this. Longer lines are refused unparsed. */
export const MAX_IMPORT_LINE = 4096;
/**
 * APNs device tokens are 64 hex digits (32 bytes) today; Apple has said they may grow, so up to
 * 200 are accepted. An unbounded token would go into every push's request path.
 */
export const MAX_DEVICE_TOKEN_HEX = 200;
/** PushMagic is a UUID in practice; allow some slack, refuse anything absurd. */
const MAX_PUSH_MAGIC = 256;
/** A topic is a bundle id (com.example.app) or an MDM topic (com.apple.mgmt.External.<uuid>). */
const MAX_TOPIC = 255;
/** The fields of a registration, as in the API schema; an import line may carry no others. */
const REGISTRATION_FIELDS = ['platform', 'token', 'pushMagic', 'topic', 'channelUri'];

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
  // The same limits as the API schema of a single registration, for import lines too.
  const unknown = Object.keys(r).filter((k) => !REGISTRATION_FIELDS.includes(k));
  if (unknown.length > 0) throw unprocessable('DEVICE_FIELD_UNKNOWN', `Unknown field(s) ${unknown.slice(0, 5).map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}; a device has only ${REGISTRATION_FIELDS.join(', ')}.`);
  for (const field of REGISTRATION_FIELDS) {
    if (typeof r[field] === 'string' && (r[field] as string).includes('\u0000')) throw unprocessable('DEVICE_NUL_BYTE', `"${field}" contains a NUL byte (\\u0000), which certpush does not store. Remove it.`);
  }
  const str = (field: string) => (typeof r[field] === 'string' ? (r[field] as string).trim() : '');
  switch (r.platform) {
    case 'mdm':
    case 'apns': {
      const token = str('token').toLowerCase();
      if (token.length > MAX_DEVICE_TOKEN_HEX || !DEVICE_TOKEN_PATTERN.test(token)) throw unprocessable('DEVICE_TOKEN_INVALID', `The device token must be 64 to ${MAX_DEVICE_TOKEN_HEX} hexadecimal digits, an even number (got ${token.length ? `"${token.slice(0, 16)}…", ${token.length} characters` : 'none'}).`);
      if (r.platform === 'mdm') {
        const pushMagic = str('pushMagic');
        if (!pushMagic || pushMagic.length > MAX_PUSH_MAGIC) throw unprocessable('DEVICE_PUSH_MAGIC_INVALID', 'An MDM device needs its PushMagic string (from its TokenUpdate check-in), at most 256 characters.');
        return { platform: 'mdm', token, pushMagic };
      }
      const topic = str('topic');
      if (!topic || topic.length > MAX_TOPIC || !TOPIC_PATTERN.test(topic)) throw unprocessable('DEVICE_TOPIC_INVALID', 'An APNs device needs the app\'s topic (its bundle id, e.g. com.example.app).');
      return { platform: 'apns', token, topic };
    }
    case 'mpns': {
      const uri = str('channelUri');
      // The guard's MPNS_CHANNEL_URI_* codes answer 422 (error-catalogue.ts).
      guard.check(uri);
      return { platform: 'mpns', token: uri };
    }
    default:
      throw unprocessable('DEVICE_PLATFORM_INVALID', `Unknown platform ${JSON.stringify(r.platform)}: use "mdm", "apns" or "mpns".`);
  }
}

export function channelGuard(ctx: Pick<ServiceContext, 'config'>): ChannelUriGuard {
  return new ChannelUriGuard(ctx.config.mpnsAllowedHosts);
}

export async function registerDevice(ctx: ServiceContext<TenantsRole & DevicesRole>, tenantId: string, input: unknown): Promise<Device> {
  await requireTenantExists(ctx, tenantId);
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
 * All or nothing: every line is checked first, with the limits of a single registration, and
 * any problem refuses the whole import (listing up to 100 problems); then the devices are
 * written in one transaction, so a crash or a database error mid-way leaves none of them.
 * Parsing and checking run in slices that yield to the event loop, so a 100,000-line import
 * does not stall other requests.
 */
export async function importDevices(ctx: ServiceContext<TenantsRole & DevicesRole & AuditRole>, actor: Actor, tenantId: string, body: string, format: 'jsonl' | 'csv'): Promise<{ imported: number }> {
  await requireTenantExists(ctx, tenantId);
  const guard = channelGuard(ctx);
  const slices = new LoopSlices();
  const devices: DeviceInput[] = [];
  const problems: ImportProblem[] = [];
  let problemCount = 0;
  let records = 0;
  for (const { line, value, error } of format === 'csv' ? csvRecords(body) : jsonLineRecords(body)) {
    if (++records > MAX_IMPORT) throw unprocessable('IMPORT_TOO_LARGE', `More than ${MAX_IMPORT} devices in one import; the limit is ${MAX_IMPORT}. Split the file.`);
    if (slices.due()) await slices.pause();
    let problem: Omit<ImportProblem, 'line'> | null = null;
    if (error) problem = { code: 'IMPORT_LINE_UNPARSABLE', message: error };
    else {
      try {
        devices.push(validateRegistration(value, guard));
      } catch (e) {
        if (!isCertpushError(e)) throw e;
        problem = { code: e.code, message: e.message };
      }
    }
    if (problem && ++problemCount <= 100) problems.push({ line, ...problem });
  }
  if (records === 0) throw unprocessable('IMPORT_EMPTY', 'The import holds no devices.');
  if (problemCount > 0) {
    const error = unprocessable('IMPORT_INVALID', `${problemCount} line(s) cannot be imported; nothing was imported. First: line ${problems[0]!.line}: ${problems[0]!.message}`);
    (error as typeof error & { problems?: ImportProblem[] }).problems = problems;
    throw error;
  }
  const imported = await ctx.store.devices.importAll(tenantId, devices, ctx.now().getTime());
  await ctx.store.audit.record({ tenantId, actor: actorName(actor), action: 'devices.imported', detail: { count: imported, format } });
  return { imported };
}

interface ParsedRecord {
  line: number;
  value?: unknown;
  error?: string;
}

/** The non-blank lines of `body` with their numbers, without splitting it all at once. */
function* numberedLines(body: string): Generator<{ line: number; text: string }> {
  let start = 0;
  for (let line = 1; start <= body.length; line++) {
    let end = body.indexOf('\n', start);
    if (end === -1) end = body.length;
    const text = body.slice(start, end > start && body[end - 1] === '\r' ? end - 1 : end);
    start = end + 1;
    if (text.trim() !== '') yield { line, text };
  }
}

const tooLong = (text: string) => `is ${text.length} characters long; a device line is at most ${MAX_IMPORT_LINE}`;

function* jsonLineRecords(body: string): Generator<ParsedRecord> {
  for (const { line, text } of numberedLines(body)) {
    if (text.length > MAX_IMPORT_LINE) {
      yield { line, error: tooLong(text) };
      continue;
    }
    try {
      yield { line, value: JSON.parse(text) };
    } catch {
      yield { line, error: 'not valid JSON: each line must be one JSON object' };
    }
  }
}

const CSV_COLUMNS = ['platform', 'token', 'pushMagic', 'topic', 'channelUri'];

function* csvRecords(body: string): Generator<ParsedRecord> {
  let header: string[] | null = null;
  for (const { line, text } of numberedLines(body)) {
    if (header === null) {
      header = line === 1 && text.length <= MAX_IMPORT_LINE ? splitCsvLine(text).map((h) => h.trim()) : [];
      const unknown = header.filter((h) => !CSV_COLUMNS.includes(h));
      if (!header.includes('platform') || unknown.length > 0) {
        throw unprocessable('IMPORT_CSV_HEADER', `The first CSV line must name the columns, from: ${CSV_COLUMNS.join(',')} (platform is required)${unknown.length ? `; unknown: ${unknown.slice(0, 5).map((u) => u.slice(0, 40)).join(', ')}` : ''}.`);
      }
      continue;
    }
    if (text.length > MAX_IMPORT_LINE) {
      yield { line, error: tooLong(text) };
      continue;
    }
    const cells = splitCsvLine(text);
    if (cells.length !== header.length) {
      yield { line, error: `has ${cells.length} fields; the header has ${header.length}` };
      continue;
    }
    yield { line, value: Object.fromEntries(header.map((h, j) => [h, cells[j]])) };
  }
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

/**
 * The API's device listing as its JSON body: a page of the tenant's devices as deviceView shows
 * them, the cursor to the next, and the tenant's device counts. The page's JSON comes from the
 * database (store/device-json.ts): the listing answers most of the API's requests, and its
 * rows never become objects on the event loop.
 */
export async function listDevicesJson(ctx: ServiceContext<TenantsRole & DevicesRole>, tenantId: string, filter: DeviceFilter): Promise<string> {
  await requireTenantExists(ctx, tenantId);
  if (filter.after !== undefined) checkCursor(filter.after, DEVICE_CURSOR);
  const page = await ctx.store.devices.pageJson(tenantId, filter);
  return `{"items":${page.items},"nextCursor":${page.more ? JSON.stringify(page.last) : 'null'},"total":${JSON.stringify(page.count)}}`;
}

export async function getDevice(ctx: ServiceContext<DevicesRole>, tenantId: string, id: string): Promise<Device> {
  const device = await ctx.store.devices.get(tenantId, id);
  if (!device) throw notFound(`Device ${id}`);
  return device;
}

export async function deleteDevice(ctx: ServiceContext<DevicesRole>, tenantId: string, id: string): Promise<void> {
  if (!(await ctx.store.devices.remove(tenantId, id))) throw notFound(`Device ${id}`);
}
