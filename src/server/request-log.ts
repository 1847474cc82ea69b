import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/** Paths a load balancer or Prometheus polls every few seconds: their lines only at debug. */
const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics', '/favicon.ico']);

/**
 * One line per request instead of Fastify's two ("incoming request", "request completed"):
 * method, path (never the query, which may carry a search term), status and time. Probes log
 * at debug, so `info` (the default) shows what people and MDM servers did; 5xx log as errors.
 */
export class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const path = request.url.split('?')[0]!;
    const line = { method: request.method, path, status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (PROBE_PATHS.has(path)) request.log.debug(line, 'request');
    else if (error || reply.statusCode >= 500) request.log.error({ ...line, err: error ?? undefined }, 'request');
    else request.log.info(line, 'request');
  }
}
