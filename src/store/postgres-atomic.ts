import type { CompiledQuery, QueryResult } from 'kysely';
import pg from 'pg';
import type { AtomicRunner } from './atomic.ts';

/**
 * PostgreSQL's AtomicRunner: the whole statement list in one simple-protocol message, which
 * PostgreSQL runs as one implicit transaction (an error rolls all of it back, and the statements
 * after it do not run). An interactive transaction costs BEGIN, a round trip per statement and
 * COMMIT — on a busy machine each round trip is two process wake-ups, and a send was nine.
 *
 * The simple protocol has no parameters, so each value is written into the text as a quoted
 * literal (pg's escapeLiteral). A quoted literal is of unknown type exactly as an untyped
 * parameter is — pg sends every parameter as text — so PostgreSQL resolves both the same way
 * (`'5'` into a BIGINT column, `'{a,b}'::text[]`). Kysely puts every value in a parameter; a
 * value of another kind (a Buffer, a Date) takes the interactive transaction instead.
 */
export function postgresAtomic(pool: { query(text: string): Promise<pg.QueryResult | pg.QueryResult[]> }, interactive: AtomicRunner): AtomicRunner {
  return async (queries) => {
    const texts: string[] = [];
    for (const query of queries) {
      const text = inlined(query);
      if (text === null) return interactive(queries);
      texts.push(text);
    }
    const reply = await pool.query(texts.join(';\n'));
    // One statement answers with a result, several with one result each.
    const results = (Array.isArray(reply) ? reply : [reply]) as pg.QueryResult[];
    return results.map(queryResult);
  };
}

function inlined(query: CompiledQuery): string | null {
  const values = query.parameters.map(literal);
  if (values.includes(null)) return null;
  // Placeholders are $1…$n; a value's own text is never scanned again (one pass).
  return query.sql.replace(/\$(\d+)/g, (placeholder, n: string) => values[Number(n) - 1] ?? placeholder);
}

function literal(value: unknown): string | null {
  if (value === null || value === undefined) return 'NULL';
  // A NUL would end the simple protocol's query text early: such a value takes the parameter
  // path, where PostgreSQL refuses it by name.
  if (typeof value === 'string') return value.includes('\0') ? null : pg.escapeLiteral(value);
  if (typeof value === 'number') return Number.isFinite(value) ? `'${value}'` : null;
  if (typeof value === 'bigint' || typeof value === 'boolean') return `'${value}'`;
  return null;
}

function queryResult(result: pg.QueryResult): QueryResult<Record<string, unknown>> {
  const changed = result.command === 'INSERT' || result.command === 'UPDATE' || result.command === 'DELETE' || result.command === 'MERGE';
  return { rows: result.rows ?? [], ...(changed ? { numAffectedRows: BigInt(result.rowCount ?? 0) } : {}) };
}
