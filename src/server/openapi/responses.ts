/**
 * Building blocks for the routes' `response` schemas: a JSON body that is a shared component,
 * 204 without a body, and problem+json for the error statuses an operation can answer.
 */
import type { componentSchemas } from './components.ts';

export type ComponentName = (typeof componentSchemas)[number]['$id'];

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** What each error status means across the API; an operation lists the ones it can answer. */
const PROBLEM_MEANINGS: Record<number, string> = {
  400: 'The request is malformed: a field of the wrong type or shape (named in `detail` and `errors`), bad JSON, a bad cursor',
  401: 'No API key, a malformed Authorization header, or an unknown key',
  403: 'The key may not do this (an operator key is needed)',
  404: 'No such resource, or it belongs to another tenant',
  409: 'The resource is in a state that does not allow this (e.g. no active push certificate)',
  413: 'The body is larger than this endpoint accepts',
  415: 'The Content-Type is not one this endpoint accepts',
  422: 'The content was read but refused: see `detail`, and `findings` for certificate checks',
  429: 'Too many requests: retry later',
  500: 'An unexpected error (logged); retry, and report it if it persists',
  502: 'The vendor signer failed or could not be reached',
  503: 'The database is not answering',
};

/** Every /v1 operation can answer these: the request's shape, its key, an unexpected failure. */
const ALWAYS = [400, 401, 500] as const;
/** Operations with a request body add these. */
export const WITH_BODY = [413, 415] as const;

export interface MediaResponse {
  description: string;
  content: Record<string, { schema: Record<string, unknown>; example?: unknown }>;
}

/** A JSON response whose body is the named component; `example` shows in /openapi.json and /docs. */
export function json(component: ComponentName, description: string, example?: unknown): MediaResponse {
  return { description, content: { 'application/json': { schema: { $ref: `${component}#` }, ...(example === undefined ? {} : { example }) } } };
}

/** 204: done, nothing to say. */
export function noContent(description: string): { description: string; type: 'null' } {
  return { description, type: 'null' };
}

/** The problem+json responses for `statuses`, plus those every /v1 operation can answer. */
export function problems<S extends number>(...statuses: S[]): Record<S | (typeof ALWAYS)[number], MediaResponse> {
  const all = [...new Set<number>([...ALWAYS, ...statuses])].sort((a, b) => a - b);
  return Object.fromEntries(all.map((status) => [status, problemResponse(status)])) as Record<S | (typeof ALWAYS)[number], MediaResponse>;
}

export function problemResponse(status: number): MediaResponse {
  const description = PROBLEM_MEANINGS[status];
  if (!description) throw new Error(`openapi: no meaning written for HTTP ${status}; add it to PROBLEM_MEANINGS`);
  return { description, content: { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: 'Problem#' } } } };
}
