import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * The schema validators, per part of the request. Bodies are JSON and carry their own types,
 * so they are checked strictly: `{"name": 123}` is refused naming `name`, never stored as "123".
 * Query strings, path parameters and headers are text on the wire, so there a string becomes
 * the integer or boolean the schema says (`?limit=50`), and fails when it is not one
 * (`?limit=fifty`). Unknown fields are refused, not removed (schemas say additionalProperties).
 */
export function buildValidators(externalSchemas: Record<string, unknown>): FastifySchemaCompiler<unknown> {
  const strict = ajv(externalSchemas, { coerceTypes: false });
  const fromText = ajv(externalSchemas, { coerceTypes: 'array' });
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : fromText).compile(schema as object);
}

function ajv(externalSchemas: Record<string, unknown>, options: Options): Ajv {
  // Fastify's own defaults (@fastify/ajv-compiler), but for coercion and removeAdditional;
  // allErrors stays off: with it a crafted body costs CPU per error.
  const instance = new Ajv({ ...options, useDefaults: true, removeAdditional: false, addUsedSchema: false, allErrors: false, strict: false });
  // ajv-formats is CommonJS: its module object is the plugin function.
  (addFormats as unknown as (ajv: Ajv) => void)(instance);
  for (const schema of Object.values(externalSchemas)) instance.addSchema(schema as object);
  return instance;
}
