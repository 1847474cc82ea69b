import { type ApnsReason, APNS_REASONS, classify, type OutcomeClass } from './reasons.ts';

/** APNs accepted the notification (200). */
export interface Accepted {
  class: 'accepted';
  status: 200;
  /** The `apns-id` APNs answered with (the request's, or one APNs made up). */
  apnsId: string;
}

/**
 * APNs (or the client, before sending) did not take the notification. `class` says what to do:
 * `invalid` forget the token (since `timestamp`), `rejected` fix the request, `credential` fix
 * the certificate or key, `retry` send again after `retryAfterMs`.
 */
export interface Failed {
  class: Exclude<OutcomeClass, 'accepted'>;
  /** HTTP status from APNs; 0 when APNs never answered (checked locally, connection lost, timeout). */
  status: number;
  /** Apple's reason (e.g. `Unregistered`), or certpush's for what APNs never saw: `ConnectionLost`, `ConnectionFailed`, `Timeout`, `RefusedStream`, `StreamReset`. */
  reason: string;
  /** APNs (410): when the token stopped being valid for the topic. */
  timestamp?: Date;
  /** For `retry`: how long to wait before sending again (exponential backoff with jitter). */
  retryAfterMs?: number;
  apnsId?: string;
  /** Human words: what was wrong locally, or the connection error. */
  detail?: string;
}

/**
 * What became of one notification. Outcomes are values, never exceptions.
 *
 * @example
 * const outcome = await client.send({ token, payload: { aps: { alert: 'hi' } } });
 * if (outcome.class === 'invalid') markTokenDead(token, outcome.timestamp);
 */
export type Outcome = Accepted | Failed;

/** Reasons certpush gives for failures APNs never answered. */
export const LOCAL_REASONS = {
  ConnectionLost: 'The connection closed before APNs answered; APNs may or may not have taken the notification.',
  ConnectionFailed: 'Could not connect to APNs.',
  Timeout: 'APNs did not answer in time.',
  RefusedStream: 'APNs did not process the request, however often it was sent (REFUSED_STREAM, or GOAWAY before processing it).',
  StreamReset: 'APNs reset the request stream without answering: a server-side failure; send it again.',
} as const;

/** An outcome for a request checked locally and never sent, with Apple's reason and status. */
export function localRejection(reason: ApnsReason, detail: string, apnsId?: string): Failed {
  const info = APNS_REASONS[reason];
  return { class: info.class, status: 0, reason, detail, ...(apnsId ? { apnsId } : {}) };
}

/**
 * The outcome of an APNs answer that was not 200: body `{"reason": …, "timestamp": …}`
 * (APNs: timestamp in milliseconds, on 410 only).
 */
export function failureFromResponse(status: number, body: string, apnsId: string | undefined): Failed {
  let reason = `HTTP${status}`;
  let timestamp: Date | undefined;
  try {
    const parsed = JSON.parse(body) as { reason?: unknown; timestamp?: unknown };
    if (typeof parsed.reason === 'string') reason = parsed.reason;
    if (typeof parsed.timestamp === 'number') timestamp = new Date(parsed.timestamp);
  } catch { /* APNs always sends JSON; anything else keeps the HTTP status as the reason */ }
  const outcome: Failed = { class: classify(status, reason), status, reason };
  if (timestamp) outcome.timestamp = timestamp;
  if (apnsId) outcome.apnsId = apnsId;
  return outcome;
}
