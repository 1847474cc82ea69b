import https from 'node:https';
import http from '../node-http.ts';
import { isCertpushError } from '../errors.ts';
import { resolveWebhookAddress } from '../service/webhook-target.ts';

/** The most one webhook call may take, from DNS to the response's status line. */
export const WEBHOOK_DEADLINE_MS = 10_000;

export interface WebhookRequest {
  url: string;
  headers: Record<string, string | number>;
  body: string;
  /** Allow http:// and private addresses (tests and simulators only). */
  allowInsecure: boolean;
  deadlineMs?: number;
}

/**
 * POST once to a tenant's webhook; resolves with null on a 2xx answer, else with a short text
 * the tenant may see as `lastError`. It settles within the deadline whatever the target does
 * (no answer, headers a byte at a time, a body that never ends): one timer covers resolving,
 * connecting, TLS and the status line, and the response body is never read, since only the
 * status matters. The texts name no address, so they cannot tell a tenant how internal names
 * resolve.
 */
export async function postWebhook(request: WebhookRequest): Promise<string | null> {
  const deadlineMs = request.deadlineMs ?? WEBHOOK_DEADLINE_MS;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), deadlineMs);
  const late = `no answer within ${deadlineMs / 1000} s`;
  try {
    const url = new URL(request.url);
    let address: { address: string; family: number };
    try {
      address = await beforeAbort(resolveWebhookAddress(url, { allowInsecure: request.allowInsecure }), controller.signal);
    } catch (error) {
      if (controller.signal.aborted) return late;
      return isCertpushError(error) ? error.message : describeNetworkError(error);
    }
    const transport = url.protocol === 'https:' ? https : http;
    return await new Promise<string | null>((resolve) => {
      const outgoing = transport.request({
        method: 'POST',
        host: address.address,
        family: address.family,
        port: url.port || (url.protocol === 'https:' ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        servername: url.protocol === 'https:' && !/^[\d.:]+$/.test(url.hostname) ? url.hostname : undefined,
        headers: { host: url.host, ...request.headers },
        // A fresh connection per call: no pooled socket a stalled target could keep.
        agent: false,
        signal: controller.signal,
      }, (response) => {
        const status = response.statusCode ?? 0;
        resolve(status >= 200 && status < 300 ? null : `HTTP ${status}`);
        response.destroy();
      });
      outgoing.on('error', (error) => resolve(controller.signal.aborted ? late : describeNetworkError(error)));
      outgoing.end(request.body);
    });
  } finally {
    clearTimeout(timer);
  }
}

/** `promise`, or a rejection as soon as `signal` aborts (dns.lookup itself cannot be cancelled). */
function beforeAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset before an answer',
  EPIPE: 'connection closed before an answer',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'the host does not resolve',
  EAI_AGAIN: 'the host does not resolve (DNS answered "try again")',
  HPE_INVALID_CONSTANT: 'the answer is not HTTP',
};

/** A network failure in words, without the address Node puts in its messages. */
export function describeNetworkError(error: unknown): string {
  const code = String((error as NodeJS.ErrnoException).code ?? '');
  if (NETWORK_ERRORS[code]) return NETWORK_ERRORS[code];
  if (/CERT|SSL|TLS/.test(code)) return `TLS failed (${code})`;
  if (/socket hang up/.test((error as Error).message)) return 'connection closed before an answer';
  return code.startsWith('HPE_') ? 'the answer is not valid HTTP' : `the call failed${code ? ` (${code})` : ''}`;
}
