import https from 'node:https';
import tls from 'node:tls';
import http from '../node-http.ts';
import { CertpushError, isErrorCode } from '../errors.ts';

import { FindingsError } from '../pki/finding.ts';
import { error as errorFinding, type Finding } from '../pki/finding.ts';
import { SIGNER_PATHS, type SignerProblem, type SignResponseBody, type VendorCertificateStatus } from './protocol.ts';

export interface SignerClientOptions {
  /** Base URL of `certpush signer serve`, e.g. https://signer.internal:8444. */
  url: string;
  /** The signer's token (CERTPUSH_SIGNER_TOKEN). */
  token: string;
  /** PEM CA certificate(s) trusted besides the public roots, for a signer with a private CA. Verification is always on. */
  ca?: string;
  /** Give up after this long. Default 15 s. */
  timeoutMs?: number;
}

export interface SignerClient {
  /** Have the signer vendor-sign a CSR (PEM, or Base64 of its DER) into a Push Certificate Request. */
  sign(csr: string): Promise<SignResponseBody>;
  /** The vendor MDM signing certificate's subject and expiry. */
  vendorCertificate(): Promise<VendorCertificateStatus>;
}

const DEFAULT_TIMEOUT_MS = 15_000;
/** Answers are a few kilobytes; more means this is not the signer. */
const RESPONSE_LIMIT = 1024 * 1024;
const TLS_TRUST_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME|HOSTNAME/;

/**
 * A client for the vendor signer service. Errors are CertpushErrors a caller can branch on:
 * SIGNER_UNREACHABLE, SIGNER_TIMEOUT, SIGNER_TLS, SIGNER_TOKEN_REJECTED, SIGNER_REFUSED (a FindingsError
 * with the signer's findings), SIGNER_ERROR.
 *
 * @example
 * const signer = createSignerClient({ url: 'https://signer.internal:8444', token, ca: fs.readFileSync('signer-ca.pem', 'utf8') });
 * const { request } = await signer.sign(csrPem); // Base64 for Apple's Push Certificates Portal
 */
export function createSignerClient(options: SignerClientOptions): SignerClient {
  const base = parseBaseUrl(options.url);
  const call = <T>(method: 'GET' | 'POST', path: string, body?: unknown) => request<T>(base, options, method, path, body);
  return {
    sign: (csr) => call<SignResponseBody>('POST', SIGNER_PATHS.sign, { csr }),
    vendorCertificate: () => call<VendorCertificateStatus>('GET', SIGNER_PATHS.vendorCertificate),
  };
}

function parseBaseUrl(url: string): URL {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new CertpushError('SIGNER_URL', `The signer URL "${url}" is not a URL. Give it as https://host:port (check --signer-url).`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    throw new CertpushError('SIGNER_URL', `The signer URL "${url}" must start with https:// or http:// (check --signer-url).`);
  }
  // The base may carry a path prefix (behind a reverse proxy): keep it when joining routes.
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return base;
}

function request<T>(base: URL, options: SignerClientOptions, method: string, path: string, body: unknown): Promise<T> {
  const target = new URL(path.slice(1), base);
  const where = base.origin;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise<T>((resolve, reject) => {
    const headers: Record<string, string | number> = { authorization: `Bearer ${options.token}`, accept: 'application/json' };
    if (payload !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    const transport = target.protocol === 'https:' ? https : http;
    // `ca` adds to the public roots (like CERTPUSH_EXTRA_CA_FILE): a signer with a public certificate still verifies.
    const req = transport.request(target, { method, headers, ...(options.ca && target.protocol === 'https:' ? { ca: [...tls.rootCertificates, options.ca] } : {}) });
    const timer = setTimeout(() => {
      req.destroy(new CertpushError('SIGNER_TIMEOUT', `The signer at ${where} did not answer within ${timeoutMs / 1000} s: check that certpush signer serve is running and reachable, and try again.`));
    }, timeoutMs);
    const fail = (error: unknown) => {
      clearTimeout(timer);
      reject(error);
    };
    req.on('error', (error: NodeJS.ErrnoException) => fail(connectionError(error, where)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > RESPONSE_LIMIT) req.destroy(notSigner(where, 'its answer is too large'));
        else chunks.push(chunk);
      });
      res.on('error', (error) => fail(connectionError(error, where)));
      res.on('end', () => {
        clearTimeout(timer);
        try {
          resolve(answer<T>(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), where));
        } catch (error) {
          reject(error);
        }
      });
    });
    req.end(payload);
  });
}

function answer<T>(status: number, text: string, where: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw notSigner(where, `it answered ${status} with something that is not JSON`);
  }
  if (status === 200) return json as T;
  const problem = (typeof json === 'object' && json !== null ? json : {}) as Partial<SignerProblem>;
  const detail = typeof problem.detail === 'string' ? problem.detail : `HTTP ${status}`;
  if (status === 401) {
    throw new CertpushError('SIGNER_TOKEN_REJECTED', `The signer at ${where} rejected the token: check CERTPUSH_SIGNER_TOKEN (it must equal the token the signer was started with).`);
  }
  if (status === 422) {
    const findings: Finding[] = Array.isArray(problem.findings) ? problem.findings : [errorFinding(isErrorCode(problem.code) ? problem.code : 'SIGNER_REFUSED', detail)];
    throw new FindingsError('SIGNER_REFUSED', `The signer refused to sign the CSR: ${detail}`, findings);
  }
  throw new CertpushError('SIGNER_ERROR', `The signer at ${where} answered ${status}${problem.code ? ` [${problem.code}]` : ''}: ${detail}`);
}

function connectionError(error: NodeJS.ErrnoException, where: string): CertpushError {
  if (error instanceof CertpushError) return error;
  const code = error.code ?? '';
  if (TLS_TRUST_ERRORS.test(code)) {
    return new CertpushError('SIGNER_TLS', `The signer at ${where} presented a TLS certificate this service does not trust (${code}: ${error.message}): trust the CA that issued it (--extra-ca-file or CERTPUSH_EXTRA_CA_FILE), and check that the URL's host name is in the certificate.`, { cause: error });
  }
  return new CertpushError('SIGNER_UNREACHABLE', `Cannot reach the signer at ${where} (${code || error.message}): check --signer-url and that certpush signer serve is running.`, { cause: error });
}

function notSigner(where: string, what: string): CertpushError {
  return new CertpushError('SIGNER_ERROR', `The service at ${where} is not a certpush signer: ${what}. Check --signer-url.`);
}
