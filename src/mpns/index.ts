// certpush's MPNS client: payloads, headers, the sender, outcomes, the daily quota, the channel
// URI guard and the authenticated web service's certificate check.
export * from './channel-uri-guard.ts';
export * from './credential-check.ts';
export * from './headers.ts';
export * from './memory-quota-store.ts';
export * from './outcome.ts';
export * from './payload.ts';
export * from './protocol.ts';
export * from './quota.ts';
export * from './raw.ts';
export * from './sender.ts';
export * from './tile.ts';
export * from './toast.ts';
export * from './xml-escape.ts';
