import { CertpushError } from '../errors.ts';

/**
 * A CertpushError that knows its HTTP status. Services throw these; the HTTP layer turns them
 * into problem+json and the CLI prints their message.
 */
export class ServiceError extends CertpushError {
  readonly status: number;

  constructor(status: number, code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ServiceError';
    this.status = status;
  }
}

/** 404 — also what another tenant's resource looks like, so its existence is not revealed. */
export function notFound(what: string): ServiceError {
  return new ServiceError(404, 'NOT_FOUND', `${what} was not found.`);
}

/** 422 — the request is well-formed but what it asks for cannot be done as given. */
export function unprocessable(code: string, message: string): ServiceError {
  return new ServiceError(422, code, message);
}

/** 409 — the resource is not in a state that allows this. */
export function conflict(code: string, message: string): ServiceError {
  return new ServiceError(409, code, message);
}
