// The APNs provider client: HTTP/2 sessions to Apple's push service with certificate or token
// auth, local checks, and outcomes as values.
export * from './backoff.ts';
export * from './client.ts';
export * from './endpoints.ts';
export * from './jwt-signer.ts';
export * from './notification.ts';
export * from './outcome.ts';
export * from './reasons.ts';
export * from './request-rules.ts';
export type { TransportName } from './transport/transport.ts';
