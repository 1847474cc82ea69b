// The order a response comes in on one stream (RFC 9113 §8.1): any 1xx header blocks, the final
// header block, DATA, then optional trailers, which end the stream. Anything else makes the
// response malformed: a stream error of type PROTOCOL_ERROR (§8.1.1).
import { responseFieldsViolation, statusOf } from './response-header-rules.ts';

export const AWAITING_HEADERS = 0;
export const IN_BODY = 1;
export const TRAILERS_DONE = 2;

/** Where one response is; the connection's per-stream record carries these fields. */
export interface ResponseProgress {
  phase: number;
  /** The response's content-length, -1 when absent (§8.1.1: DATA must add up to it). */
  contentLength: number;
  /** DATA bytes received so far (padding excluded). */
  received: number;
}

/** Take a header block; returns why it is malformed here, or undefined. */
export function takeHeaderBlock(progress: ResponseProgress, fields: readonly string[], endStream: boolean): string | undefined {
  if (progress.phase === TRAILERS_DONE) return 'HEADERS after the trailers';
  const trailers = progress.phase === IN_BODY;
  const violation = responseFieldsViolation(fields, trailers);
  if (violation) return `malformed response: ${violation}`;
  if (trailers) {
    if (!endStream) return 'trailers without END_STREAM';
    progress.phase = TRAILERS_DONE;
    return undefined;
  }
  const status = statusOf(fields);
  if (status < 200) return endStream ? `informational ${status} with END_STREAM` : undefined;
  progress.phase = IN_BODY;
  const value = fieldValue(fields, 'content-length');
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,15}$/.test(value)) return `content-length ${JSON.stringify(value)}`;
  progress.contentLength = Number(value);
  if (endStream && progress.contentLength !== 0 && status !== 204 && status !== 304) return `no DATA against a content-length of ${value}`;
  return undefined;
}

/** Take `bytes` of DATA; returns why that is malformed here, or undefined. */
export function takeData(progress: ResponseProgress, bytes: number, endStream: boolean): string | undefined {
  if (progress.phase !== IN_BODY) return progress.phase === AWAITING_HEADERS ? 'DATA before the response headers' : 'DATA after the trailers';
  progress.received += bytes;
  const expected = progress.contentLength;
  if (expected >= 0 && (progress.received > expected || (endStream && progress.received !== expected))) {
    return `DATA of ${progress.received} bytes against a content-length of ${expected}`;
  }
  return undefined;
}

function fieldValue(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
