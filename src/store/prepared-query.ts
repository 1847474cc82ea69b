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

/**
 * A transaction's statements (for runAtomically) built and compiled once: later calls put their
 * values into each statement's parameters. A send's six statements cost ~190 µs of the event
 * loop to build and compile, against ~90 µs for everything else the send does on it.
 */
export function prepareStatements<Names extends string>(build: (param: (name: Names) => any) => CompiledQuery[]): (values: Record<Names, unknown>) => CompiledQuery[] {
  let templates: Array<Template<unknown, Names>> | null = null;
  return (values) => {
    templates ??= compileTemplates(build);
    return templates.map((template) => fill(template, values));
  };
}

/** A compiled statement and, for each of its parameters, the name of the value that goes there (null: a constant). */
interface Template<Row, Names extends string> {
  compiled: CompiledQuery<Row>;
  slots: Array<Names | null>;
}

/** Build with stand-ins for the values, compile, and note where each stand-in ended up. */
function compileTemplates<Row, Names extends string>(build: (param: (name: Names) => any) => Array<CompiledQuery<Row>>): Array<Template<Row, Names>> {
  const marks = new Map<string, Names>();
  const compiled = build((name) => {
    // A stand-in no real value is: a string with a NUL, numbered.
    const mark = `\u0000param:${name}:${marks.size}`;
    marks.set(mark, name);
    return mark;
  });
  return compiled.map((query) => ({ compiled: query, slots: query.parameters.map((p) => (typeof p === 'string' ? marks.get(p) ?? null : null)) }));
}

function fill<Row, Names extends string>({ compiled, slots }: Template<Row, Names>, values: Record<Names, unknown>): CompiledQuery<Row> {
  const parameters = slots.map((name, i) => (name === null ? compiled.parameters[i] : values[name]));
  return { ...compiled, parameters, queryId: createQueryId() };
}

function prepare<Row, Names extends string>(runner: Kysely<Schema>, build: (param: (name: Names) => any) => Compilable<Row>): (values: Record<Names, unknown>) => Promise<QueryResult<Row>> {
  let template: Template<Row, Names> | null = null;
  return (values) => {
    template ??= compileTemplates<Row, Names>((param) => [build(param).compile()])[0]!;
    return runner.executeQuery<Row>(fill(template, values));
  };
}
