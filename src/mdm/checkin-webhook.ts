import { CertpushError } from '../errors.ts';
import { decodeBase64 } from './request-plist.ts';

/** Which MDM server's webhook shape an event has. */
export type WebhookFormat = 'nanomdm' | 'micromdm';

/**
 * A check-in webhook event from nanomdm (`-webhook-url`) or MicroMDM (`-command-webhook-url`).
 * Both post `{"topic","event_id","created_at","checkin_event":{"udid","raw_payload",…}}`;
 * nanomdm adds `enrollment_id` (and `token_update_tally`) and may leave `event_id` out.
 */
export interface CheckinWebhookEvent {
  format: WebhookFormat;
  /** "mdm.TokenUpdate", … */
  topic: string;
  eventId: string | null;
  udid: string | null;
  /** nanomdm's enrollment id (its name for the device or user channel). */
  enrollmentId: string | null;
  /** The check-in plist the device sent; null for events without one (acknowledge events). */
  rawPayload: Buffer | null;
}

const MAX_FIELD = 256;

/**
 * Read a webhook event's envelope (the JSON already parsed). Throws CertpushError
 * CHECKIN_EVENT_INVALID naming the field that is wrong. The plist inside is parsed separately
 * (parseCheckinMessage).
 */
export function parseCheckinWebhook(body: unknown): CheckinWebhookEvent {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('The event must be a JSON object: {"topic":"mdm.TokenUpdate","event_id":…,"checkin_event":{"udid":…,"raw_payload":…}}.');
  const event = body as Record<string, unknown>;
  const topic = event.topic;
  if (typeof topic !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(topic)) throw invalid('"topic" must be the event\'s topic, such as "mdm.TokenUpdate".');
  const eventId = optionalString(event, 'event_id');
  const checkin = event.checkin_event;
  if (checkin === undefined || checkin === null) {
    if (event.acknowledge_event !== undefined) return { format: 'micromdm', topic, eventId, udid: null, enrollmentId: null, rawPayload: null };
    throw invalid('The event has no "checkin_event" (nor "acknowledge_event"): send the webhook body nanomdm or MicroMDM posts, unchanged.');
  }
  if (typeof checkin !== 'object' || Array.isArray(checkin)) throw invalid('"checkin_event" must be an object.');
  const c = checkin as Record<string, unknown>;
  const raw = c.raw_payload;
  if (typeof raw !== 'string') throw invalid('"checkin_event.raw_payload" must be the Base64 of the check-in plist.');
  const rawPayload = decodeBase64(raw);
  if (!rawPayload) throw invalid('"checkin_event.raw_payload" is not valid Base64.');
  // nanomdm names the enrollment and counts TokenUpdates; MicroMDM has neither.
  const format: WebhookFormat = 'enrollment_id' in c || 'token_update_tally' in c ? 'nanomdm' : 'micromdm';
  const enrollmentId = optionalString(c, 'enrollment_id', 'checkin_event.');
  // nanomdm's ids end up in certpush's push URLs (/mdm/push/<id>,<id>): no separators, no spaces.
  if (enrollmentId !== null && (!/^[\x21-\x7e]{1,256}$/.test(enrollmentId) || /[,/?#%]/.test(enrollmentId))) {
    throw invalid('"checkin_event.enrollment_id" must be printable ASCII without spaces, ",", "/", "?", "#" or "%" (nanomdm\'s UDID or "<UDID>:<UserID>").');
  }
  return { format, topic, eventId, udid: optionalString(c, 'udid', 'checkin_event.'), enrollmentId, rawPayload };
}

function optionalString(object: Record<string, unknown>, key: string, prefix = ''): string | null {
  const value = object[key];
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || value.length > MAX_FIELD) throw invalid(`"${prefix}${key}" must be a string of at most ${MAX_FIELD} characters.`);
  return value;
}

function invalid(message: string): CertpushError {
  return new CertpushError('CHECKIN_EVENT_INVALID', message);
}
