import crypto from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { CertpushError, isErrorCode } from '../errors.ts';
import { parseCertificateDer } from './certificate.ts';
import type { Pkcs12Contents } from './pkcs12.ts';

/** A PKCS#12 read that takes longer than this is abandoned (its thread terminated). */
export const PKCS12_READ_TIMEOUT_MS = 15_000;

// One read at a time: a tenant sending file after file at the iteration limit occupies one
// core, not all of them.
let queue: Promise<unknown> = Promise.resolve();

/**
 * `readPkcs12` in a worker thread. Key derivation in forge is synchronous JavaScript — up to
 * seconds for a file at the iteration limit — so a server must not run it on its event loop:
 * every request, the delivery worker and /healthz would wait. Same result and errors as
 * `readPkcs12`.
 */
export function readPkcs12OffThread(der: Uint8Array, password: string): Promise<Pkcs12Contents> {
  const run = queue.then(() => readInThread(der, password));
  queue = run.catch(() => {});
  return run;
}

function readInThread(der: Uint8Array, password: string): Promise<Pkcs12Contents> {
  // Built JavaScript (dist/) next to this file is .js; run from source it is .ts.
  const file = new URL(`./pkcs12-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
  return new Promise((resolve, reject) => {
    const worker = new Worker(file, { workerData: { der: Uint8Array.from(der), password } });
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new CertpushError('P12_TOO_SLOW', `Reading the PKCS#12 file took longer than ${PKCS12_READ_TIMEOUT_MS / 1000} s, so certpush stopped. Export it again with the tool's default settings (openssl uses 2,048 iterations).`));
    }, PKCS12_READ_TIMEOUT_MS);
    worker.once('message', (m: { ok: true; certificates: Uint8Array[]; key: Uint8Array | null } | { ok: false; code: string; message: string }) => {
      clearTimeout(timer);
      void worker.terminate();
      if (!m.ok) return reject(new CertpushError(isErrorCode(m.code) ? m.code : 'P12_UNPARSABLE', m.message));
      try {
        resolve({
          certificates: m.certificates.map((c) => parseCertificateDer(Buffer.from(c))),
          privateKey: m.key ? crypto.createPrivateKey({ key: Buffer.from(m.key), format: 'der', type: 'pkcs8' }) : null,
        });
      } catch (error) {
        reject(error);
      }
    });
    worker.once('error', (error) => {
      clearTimeout(timer);
      reject(new CertpushError('P12_UNPARSABLE', `The PKCS#12 file could not be read (${error.message}).`, { cause: error }));
    });
  });
}
