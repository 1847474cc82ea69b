import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../error-catalogue.ts';
import { problem, problemFromError, type Problem } from '../problem-details.ts';

export type { Problem } from '../problem-details.ts';

/** Answer with problem+json: the one way the API answers an error (problem-details.ts builds it). */
export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.status(p.status).type('application/problem+json').send(p);
}

/** Answer `code` (status from the catalogue) with `detail`. */
export function replyProblem(reply: FastifyReply, code: ErrorCode, detail: string, extensions?: Record<string, unknown>): FastifyReply {
  return sendProblem(reply, problem(code, detail, extensions));
}

/**
 * Every error becomes problem+json: CertpushErrors answer with their code's status from the
 * catalogue (a parse error in what the client sent, a service refusal, the signer failing);
 * Fastify's own errors (schema, JSON, size, media type) get certpush codes; anything else
 * (including a CertpushError whose code has no HTTP status) is a 500 that reveals nothing.
 */
export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const known = problemFromError(error);
  if (known) return sendProblem(reply, known);
  if (error.validation) return replyProblem(reply, 'REQUEST_INVALID', validationDetail(error), { errors: error.validation.map((v) => ({ path: v.instancePath, message: v.message })) });
  const status = error.statusCode ?? 500;
  if (status === 413) return replyProblem(reply, 'BODY_TOO_LARGE', 'The request body is larger than this endpoint accepts. Send less (device imports take up to 100,000 devices per request).');
  if (status === 415) return replyProblem(reply, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type ${request.headers['content-type'] ?? '(none)'} is not accepted here; send application/json (device imports: application/x-ndjson or text/csv; the push certificate also PEM, DER, Base64 text or multipart/form-data).`);
  if (status === 400 && /JSON/i.test(error.message)) return replyProblem(reply, 'BODY_NOT_JSON', `The request body is not valid JSON (${error.message}).`);
  if (status >= 400 && status < 500) return replyProblem(reply, 'BAD_REQUEST', error.message);
  request.log.error({ err: error }, 'request failed');
  return replyProblem(reply, 'INTERNAL', 'certpush hit an unexpected error; it is logged. Retry, and report it if it persists.');
}

/**
 * "The request body/name must be string": the first violation, naming the field (ajv puts an
 * unknown field's name and a missing one's in `params`, not in the path).
 */
function validationDetail(error: FastifyError): string {
  const first = error.validation![0];
  const root = error.validationContext ?? 'body';
  const params = (first?.params ?? {}) as Record<string, unknown>;
  const where = `${root}${first?.instancePath ?? ''}`;
  if (typeof params.additionalProperty === 'string') {
    return `The request ${where} has the unknown field "${params.additionalProperty}"; remove it. See /openapi.json for the fields this endpoint takes.`;
  }
  if (root === 'params' && first?.keyword === 'minLength' && params.limit === 1) {
    const name = first.instancePath.slice(1);
    return `The request path parameter "${name}" is empty: put the ${name} after the slash, or, to reach the list, leave the trailing slash out.`;
  }
  if (typeof params.missingProperty === 'string') {
    return `The request ${where} is missing the required field "${params.missingProperty}". See /openapi.json for the expected shape.`;
  }
  return `The request ${where} ${first?.message ?? 'is invalid'}. See /openapi.json for the expected shape.`;
}
