import type { CodeWithStatus } from '../error-catalogue.ts';
import { CertpushError } from '../errors.ts';

/**
 * A CertpushError raised for an API request. Its HTTP status is its code's, from the catalogue
 * (src/error-catalogue.ts); the HTTP layer turns it into problem+json and the CLI prints its
 * message. The helpers below only accept codes of their status, so a call reads as what it answers.
 */
export class ServiceError extends CertpushError {
  constructor(...args: ConstructorParameters<typeof CertpushError>) {
    super(...args);
    this.name = 'ServiceError';
  }
}

/** 404 — also what another tenant's resource looks like, so its existence is not revealed. */
export function notFound(what: string): ServiceError {
  return new ServiceError('NOT_FOUND', `${what} was not found.`);
}

/** 422 — the request is well-formed but what it asks for cannot be done as given. */
export function unprocessable(code: CodeWithStatus<422>, message: string): ServiceError {
  return new ServiceError(code, message);
}

/** 409 — the resource is not in a state that allows this. */
export function conflict(code: CodeWithStatus<409>, message: string): ServiceError {
  return new ServiceError(code, message);
}
