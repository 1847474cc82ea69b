// node:http for certpush's ES modules, loaded through require().
//
// Node's ES-module view of a built-in reads every export when it is imported. node:http's
// WebSocket, CloseEvent and MessageEvent exports are lazy getters that load undici, Node's fetch
// implementation, so `import http from 'node:http'` costs every process ~14 MB of memory
// (undici's code and heap; measured on Node 24) for a client certpush never uses. require()
// leaves the getters alone. Types still come from `import type … from 'node:http'`.
import { createRequire } from 'node:module';
import type * as NodeHttp from 'node:http';

const http: typeof NodeHttp = createRequire(import.meta.url)('node:http');
export default http;
