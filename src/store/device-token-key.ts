import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { Dialect } from './migrations.ts';
import type { Schema } from './schema.ts';

/**
 * How a device is found by its token: the one place the dialects differ about it.
 *
 * PostgreSQL's unique index is on (tenant_id, platform, device_token_key(token)) — the token's
 * MD5 as a 16-byte uuid, not the token itself (a 64-digit APNs token is 65 bytes in an index
 * entry, an MPNS channel URI over a hundred). Migration 0009 made it and the function; see there
 * for why a digest collision can never merge two devices. Every query that finds a device by
 * token names the key, so PostgreSQL walks that index, and then compares the token itself.
 *
 * SQLite keeps its unique constraint on the token (it has no MD5, and a function of our own
 * would have to be registered on every connection before the index could even be read).
 */
export interface DeviceTokenKey {
  /** The ON CONFLICT target of an upsert by (tenant, platform, token). */
  conflictTarget: Expression<unknown> | null;
  /**
   * The row the unique index holds for `token` (with the tenant and platform): the device with
   * this token or — on PostgreSQL, and never seen by chance — another whose token has its
   * digest. The caller compares the token.
   */
  sameKey(eb: ExpressionBuilder<Schema, 'devices'>, token: string): Expression<SqlBool>;
}

export function deviceTokenKey(dialect: Dialect): DeviceTokenKey {
  if (dialect === 'sqlite') {
    return { conflictTarget: null, sameKey: (eb, token) => eb('token', '=', token) };
  }
  return {
    conflictTarget: sql`tenant_id, platform, device_token_key(token)`,
    sameKey: (eb, token) => eb(sql`device_token_key(token)`, '=', sql`device_token_key(${token})`),
  };
}
