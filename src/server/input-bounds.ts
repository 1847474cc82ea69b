import type { FastifyRequest } from 'fastify';
import { ServiceError } from '../service/errors.ts';

/** JSON deeper than this is refused: no real request nests past a handful of levels. */
export const MAX_JSON_DEPTH = 32;

/**
 * Refuse what the schemas cannot express, before anything walks the input recursively or
 * hands it to a database: nesting deeper than MAX_JSON_DEPTH (JSON.stringify and friends
 * recurse, and 100,000 levels overflow the stack) and NUL bytes in any string or key
 * (PostgreSQL text cannot hold them; SQLite would store them and every later comparison
 * would differ). Iterative, so the check itself cannot overflow. Throws a 400 naming where.
 */
export function checkRequestInput(request: FastifyRequest): void {
  checkValue(request.params, 'path');
  checkValue(request.query, 'query');
  if (typeof request.body === 'object' && request.body !== null) checkValue(request.body, 'body');
}

/** Check one parsed value; `where` names its root in errors ("body", "query"). */
export function checkValue(root: unknown, where: string): void {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value: root, path: where, depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) throw nulByte(path);
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_JSON_DEPTH) {
      throw new ServiceError('REQUEST_TOO_DEEP', `The request ${shorten(path)} nests deeper than ${MAX_JSON_DEPTH} levels; certpush accepts at most ${MAX_JSON_DEPTH}. Flatten the value.`);
    }
    for (const [key, child] of Object.entries(value)) {
      const childPath = `${path}/${key}`;
      if (key.includes('\u0000')) throw nulByte(childPath);
      stack.push({ value: child, path: childPath, depth: depth + 1 });
    }
  }
}

function nulByte(path: string): ServiceError {
  return new ServiceError('REQUEST_NUL_BYTE', `The request ${shorten(path).replace(/\u0000/g, '\\u0000')} contains a NUL byte (\\u0000), which certpush does not store. Remove it.`);
}

/** Paths of deep values are long; the start says where, the rest is repetition. */
function shorten(path: string): string {
  return path.length > 120 ? `${path.slice(0, 120)}…` : path;
}
