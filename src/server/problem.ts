import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isCertpushError } from '../errors.ts';
import { ServiceError } from '../service/errors.ts';

/** RFC 9457 problem details, with certpush's stable `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Content Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content',
  429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
};

export function problem(status: number, code: string, detail: string, extensions: Record<string, unknown> = {}): Problem {
  return { type: `https://certpush.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`, title: TITLES[status] ?? 'Error', status, detail, code, ...extensions };
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.status(p.status).type('application/problem+json').send(p);
}

/**
 * Every error becomes problem+json: services' errors carry their status; other CertpushErrors
 * come from parsing what the client sent (PEM, PKCS#12, …) and are 422; Fastify's own errors
 * (bad JSON, schema, size) keep their status; anything else is a 500 that reveals nothing.
 */
export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const extra: Record<string, unknown> = {};
  for (const key of ['findings', 'problems'] as const) {
    if (key in error) extra[key] = (error as unknown as Record<string, unknown>)[key];
  }
  const thrown: unknown = error;
  if (thrown instanceof ServiceError) return sendProblem(reply, problem(thrown.status, thrown.code, thrown.message, extra));
  if (isCertpushError(thrown)) {
    // The signer is another service: its failures are a bad gateway, not the client's fault.
    const status = thrown.code.startsWith('SIGNER_') && thrown.code !== 'SIGNER_REFUSED' ? 502 : 422;
    return sendProblem(reply, problem(status, thrown.code, thrown.message, extra));
  }
  if (error.validation) {
    const first = error.validation[0];
    const where = first?.instancePath ? `${error.validationContext ?? 'body'}${first.instancePath}` : (error.validationContext ?? 'body');
    return sendProblem(reply, problem(400, 'REQUEST_INVALID', `The request ${where} ${first?.message ?? 'is invalid'}. See /openapi.json for the expected shape.`, { errors: error.validation.map((v) => ({ path: v.instancePath, message: v.message })) }));
  }
  const status = error.statusCode ?? 500;
  if (status === 413) return sendProblem(reply, problem(413, 'BODY_TOO_LARGE', 'The request body is larger than this endpoint accepts. Send less (device imports take up to 100,000 devices per request).'));
  if (status === 415) return sendProblem(reply, problem(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type ${request.headers['content-type'] ?? '(none)'} is not accepted here; send application/json (device imports: application/x-ndjson or text/csv).`));
  if (status === 400 && /JSON/i.test(error.message)) return sendProblem(reply, problem(400, 'BODY_NOT_JSON', `The request body is not valid JSON (${error.message}).`));
  if (status >= 400 && status < 500) return sendProblem(reply, problem(status, error.code ?? 'BAD_REQUEST', error.message));
  request.log.error({ err: error }, 'request failed');
  return sendProblem(reply, problem(500, 'INTERNAL', 'certpush hit an unexpected error; it is logged. Retry, and report it if it persists.'));
}
