import type { IncomingMessage } from 'node:http';
import { HttpProblem } from './problem.ts';

/**
 * After the limit is passed, the rest of the body is read and dropped up to this many bytes so
 * that the client is still reading when the 413 arrives (closing a socket with unread data
 * resets it, and the client would see a reset instead of the answer). Beyond it, the connection
 * is cut.
 */
const DRAIN_LIMIT = 1024 * 1024;

/**
 * Read a request body of at most `limit` bytes and parse it as JSON. Throws HttpProblem 413 when
 * it is larger (declared or actual; its answer closes the connection) and 400 when it is not JSON.
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const tooLarge = () => new HttpProblem('SIGNER_BODY_TOO_LARGE', `The request body is larger than ${limit} bytes. Send only {"csr": "<PEM>"}; a CSR is a few kilobytes.`, { headers: { connection: 'close' } });
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
    };
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > DRAIN_LIMIT) {
      req.resume();
      finish(() => reject(tooLarge()));
      return;
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > DRAIN_LIMIT) {
        req.pause();
        finish(() => reject(tooLarge()));
      }
    });
    req.on('end', () => finish(() => {
      if (size > limit) return reject(tooLarge());
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
      } catch {
        reject(new HttpProblem('SIGNER_BAD_JSON', 'The request body is not valid JSON. Send {"csr": "<the CSR as PEM, or Base64 of its DER>"} with Content-Type: application/json.'));
      }
    }));
    req.on('error', (error) => finish(() => reject(error)));
  });
}
