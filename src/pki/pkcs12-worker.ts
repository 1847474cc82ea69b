// Runs in a worker thread (see pkcs12-thread.ts): reads one PKCS#12 file and posts back its
// certificates and key as DER, or the CertpushError it raised.
import { parentPort, workerData } from 'node:worker_threads';
import { readPkcs12 } from './pkcs12.ts';

const { der, password } = workerData as { der: Uint8Array; password: string };
try {
  const contents = readPkcs12(der, password);
  parentPort!.postMessage({
    ok: true,
    certificates: contents.certificates.map((c) => c.der),
    key: contents.privateKey ? contents.privateKey.export({ format: 'der', type: 'pkcs8' }) : null,
  });
} catch (error) {
  const e = error as Error & { code?: string };
  parentPort!.postMessage({ ok: false, code: e.code ?? 'P12_UNPARSABLE', message: e.message });
}
