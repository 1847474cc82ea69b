// A signer on loopback for tests, and a raw HTTP(S) caller that shows exactly what the signer answers.
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { parseCertificate } from '../../src/pki/certificate.ts';
import { createCsr } from '../../src/pki/csr.ts';
import { loadIdentity } from '../../src/pki/identity.ts';
import { generateRsaKey } from '../../src/pki/key.ts';
import { toPem } from '../../src/pki/pem.ts';
import { type SignerServer, type SignerServerOptions, startSignerServer } from '../../src/signer/server.ts';
import type { TestPki } from '../../src/simulators/test-pki.ts';
import { testPki } from '../fixtures/pki.ts';

export interface TestSigner {
  server: SignerServer;
  pki: TestPki;
  token: string;
  /** Request log lines the signer wrote. */
  logs: string[];
}

/** The signer's identity from the test PKI. */
export async function signerIdentity(): Promise<Pick<SignerServerOptions, 'vendor' | 'intermediate' | 'root'>> {
  const pki = await testPki();
  return {
    vendor: loadIdentity({ cert: pki.vendor.cert, key: pki.vendor.key }),
    intermediate: parseCertificate(pki.wwdr.cert),
    root: parseCertificate(pki.appleRoot.cert),
  };
}

/** Start a signer on 127.0.0.1 and a free port (HTTPS with the test server certificate when `tls`). The caller closes it. */
export async function startTestSigner(options: { tls?: boolean } = {}): Promise<TestSigner> {
  const pki = await testPki();
  const token = crypto.randomBytes(32).toString('hex');
  const logs: string[] = [];
  const server = await startSignerServer({
    ...(await signerIdentity()),
    token,
    port: 0,
    tls: options.tls ? { cert: pki.server.cert + pki.serverCa.cert, key: pki.server.key } : undefined,
    log: (line) => logs.push(line),
  });
  return { server, pki, token, logs };
}

/** A customer CSR as PEM, with an RSA key of `bits` (Apple wants 2048). */
export async function customerCsr(bits = 2048): Promise<string> {
  const key = bits === 2048 ? generateRsaKey() : crypto.generateKeyPairSync('rsa', { modulusLength: bits }).privateKey;
  return toPem('CERTIFICATE REQUEST', (await createCsr(key, { CN: 'Customer One', O: 'Acme', C: 'US' })).der);
}

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: () => Record<string, unknown>;
}

/** One request as a plain HTTP client sends it, whatever the body. */
export function call(url: string, options: { method?: string; path: string; token?: string; body?: string | Buffer; ca?: string; headers?: Record<string, string> }): Promise<RawAnswer> {
  const target = new URL(options.path, url);
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  return new Promise((resolve, reject) => {
    const transport = target.protocol === 'https:' ? https : http;
    const req = transport.request(target, { method: options.method ?? 'GET', headers, ca: options.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
