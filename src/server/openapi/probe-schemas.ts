import { json, problemResponse } from './responses.ts';

/** The probes in app.ts: no key needed, so no 401. */
export const healthSchema = {
  operationId: 'getHealth', summary: 'Liveness: the process answers', tags: ['service'], security: [],
  response: { 200: json('Health', 'The process is up', { status: 'ok' }) },
};

export const readinessSchema = {
  operationId: 'getReadiness', summary: 'Readiness: the database answers', tags: ['service'], security: [],
  response: { 200: json('Readiness', 'Ready to serve', { status: 'ready', database: 'sqlite' }), 503: problemResponse(503) },
};
