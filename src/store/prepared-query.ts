import { type Compilable, type CompiledQuery, createQueryId, type Kysely, type QueryResult } from 'kysely';
import type { Schema } from './schema.ts';

/**
 * A hot query built and compiled once: later runs only put their values into the parameter
 * list. Building a Kysely query and compiling it (with the CamelCasePlugin's pass over the
 * tree) was the largest share of the API's own CPU under load (bench/load.bench.ts profile),
 * paid again for every request although the SQL text never changes.
 *
 * `build` receives `param(name)`, a stand-in for each value; a constant it writes itself stays
 * in the compiled parameters as it is. Results go through the plugins as usual.
 */
export function prepareQuery<Row, Names extends string>(db: Kysely<Schema>, build: (param: (name: Names) => any) => Compilable<Row>): (values: Record<Names, unknown>) => Promise<QueryResult<Row>> {
  return prepare(db, build);
}

/**
 * As prepareQuery, but the rows come back as the database names their columns (snake_case),
 * without the plugins' pass over every row: for a hot listing whose caller builds its own
 * objects anyway, one object per row instead of two (the plugin's copy, then the caller's).
 */
export function prepareRawQuery<Names extends string>(db: Kysely<Schema>, build: (param: (name: Names) => any) => Compilable<unknown>): (values: Record<Names, unknown>) => Promise<QueryResult<Record<string, unknown>>> {
  return prepare(db.withoutPlugins(), build as (param: (name: Names) => any) => Compilable<Record<string, unknown>>);
}

function prepare<Row, Names extends string>(runner: Kysely<Schema>, build: (param: (name: Names) => any) => Compilable<Row>): (values: Record<Names, unknown>) => Promise<QueryResult<Row>> {
  let compiled: CompiledQuery<Row> | null = null;
  /** For each parameter: the name of the value that goes there, or null for a constant. */
  let slots: Array<Names | null> = [];
  return (values) => {
    if (!compiled) {
      const marks = new Map<string, Names>();
      compiled = build((name) => {
        // A stand-in no real value is: a string with a NUL, numbered.
        const mark = `\u0000param:${name}:${marks.size}`;
        marks.set(mark, name);
        return mark;
      }).compile();
      slots = compiled.parameters.map((p) => (typeof p === 'string' ? marks.get(p) ?? null : null));
    }
    const template = compiled;
    const parameters = slots.map((name, i) => (name === null ? template.parameters[i] : values[name]));
    return runner.executeQuery<Row>({ ...template, parameters, queryId: createQueryId() });
  };
}
