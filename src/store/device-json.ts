import { type RawBuilder, sql } from 'kysely';
import type { Dialect } from './migrations.ts';

/**
 * A device row as the API shows it (server/views.ts `deviceView`), written by the database as
 * JSON text: the device listing — most of the API's requests — then reaches the event loop as
 * one string per page instead of a row object per device, a view object per device and a
 * JSON.stringify over them all (~110 µs of the loop for a page of 50, and the young-generation
 * survivors that made each scavenge under load 10–30 ms). The keys, their order and when one
 * is left out follow deviceView; test/store/device-json.test.ts holds the two to the same
 * output for every kind of device.
 *
 * Column names are the database's (snake_case): this is raw SQL, which Kysely's CamelCasePlugin
 * does not rewrite.
 */
export function deviceJson(dialect: Dialect): RawBuilder<string> {
  const q = (column: string) => quoted(dialect, column);
  const time = (column: string) => isoTime(dialect, column);
  return sql<string>`'{"id":' || ${q('id')} || ',"platform":' || ${q('platform')}
    || CASE WHEN platform = 'mpns' THEN ',"channelUri":' ELSE ',"token":' END || ${q('token')}
    || CASE WHEN push_magic IS NULL THEN '' ELSE ',"pushMagic":' || ${q('push_magic')} END
    || CASE WHEN topic IS NULL THEN '' ELSE ',"topic":' || ${q('topic')} END
    || CASE WHEN enrollment_id IS NULL THEN '' ELSE ',"enrollmentId":' || ${q('enrollment_id')} END
    || CASE WHEN invalid_at IS NULL THEN ',"status":"active","invalidAt":null'
            ELSE ',"status":"invalid","invalidAt":"' || ${time('invalid_at')} || '"' END
    || ',"invalidReason":' || CASE WHEN invalid_reason IS NULL THEN 'null' ELSE ${q('invalid_reason')} END
    || ',"createdAt":"' || ${time('created_at')} || '","updatedAt":"' || ${time('updated_at')} || '"}'`;
}

/** A text column as a JSON string (quotes, backslashes and control characters escaped). */
function quoted(dialect: Dialect, column: string): RawBuilder<string> {
  return dialect === 'postgres' ? sql<string>`to_json(${sql.raw(column)})::text` : sql<string>`json_quote(${sql.raw(column)})`;
}

/**
 * Epoch milliseconds as Date#toISOString writes them ("2026-12-01T22:48:48.123Z"), in integer
 * arithmetic: seconds through the database's calendar, milliseconds appended (a float of
 * seconds could round a millisecond away).
 */
function isoTime(dialect: Dialect, column: string): RawBuilder<string> {
  const c = sql.raw(column);
  return dialect === 'postgres'
    ? sql<string>`to_char(timestamp 'epoch' + ${c} * interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
    : sql<string>`strftime('%Y-%m-%dT%H:%M:%S', ${c} / 1000, 'unixepoch') || printf('.%03dZ', ${c} % 1000)`;
}
