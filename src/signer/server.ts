import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import http from '../node-http.ts';
import { CertpushError } from '../errors.ts';
import { signPushCertRequest } from '../mdm/push-cert-request.ts';
import { type Certificate, daysLeft } from '../pki/certificate.ts';
import { type Finding, FindingsError, hasErrors, warning } from '../pki/finding.ts';
import type { Identity } from '../pki/identity.ts';
import { bearerTokenChecker } from './bearer-token.ts';
import { checkVendorIdentity } from '../mdm/push-cert-request.ts';
import { resolveVendorChain } from '../mdm/apple-cas.ts';
import { HttpProblem, sendJson, sendProblem } from './problem.ts';
import { SIGNER_BODY_LIMIT, SIGNER_DEFAULT_PORT, SIGNER_PATHS, type SignResponseBody, type VendorCertificateStatus } from './protocol.ts';
import { readJsonBody } from './request-body.ts';

export interface SignerServerOptions {
  /** The vendor MDM signing certificate and its key. */
  vendor: Identity;
  /** The WWDR intermediate that issued the vendor certificate. Default: chosen from Apple's built-in CAs. */
  intermediate?: Certificate;
  /** The root above it. Default: the built-in Apple root that issued the intermediate. */
  root?: Certificate;
  /** Callers send `Authorization: Bearer <token>`. At least 16 characters. */
  token: string;
  /** Default 127.0.0.1: the signer serves vendor-internal callers only. */
  host?: string;
  /** Default 8444; 0 picks a free port (the returned `url` names it). */
  port?: number;
  /** PEM certificate (with its chain) and key: serve HTTPS. */
  tls?: { cert: string; key: string };
  /** Where the one-line-per-request log goes. Default: stderr. */
  log?: (line: string) => void;
}

export interface SignerServer {
  /** Base URL callers use, with the real port: `https://127.0.0.1:8444`. */
  url: string;
  /** Non-fatal findings at start (vendor certificate expiring soon, plain HTTP off loopback). */
  warnings: Finding[];
  /** Stop accepting connections and finish the requests in flight. */
  close(): Promise<void>;
}

/** How long close() waits for requests in flight before cutting their connections. */
const CLOSE_GRACE_MS = 10_000;

/**
 * Start the vendor signer: an HTTP(S) service that holds the vendor MDM signing identity and signs
 * customers' CSRs into Push Certificate Requests, for callers holding its token. It keeps no state
 * and sees nothing of tenants but the CSR. Refuses to start (FindingsError SIGNER_IDENTITY_INVALID)
 * when the vendor key, certificate or chain is unusable.
 *
 * Routes: `POST /v1/sign` `{csr}` → `{request, csrSubject, warnings, vendorCertificate}`;
 * `GET /v1/vendor-certificate` → `{subject, notAfter, daysLeft}`; `GET /healthz` (no token).
 * Errors are application/problem+json with a stable `code` (422 carries the findings).
 *
 * @example
 * const signer = await startSignerServer({ vendor, intermediate, root, token, port: 0 });
 * console.log(signer.url); // http://127.0.0.1:40123
 * await signer.close();
 */
export async function startSignerServer(given: SignerServerOptions): Promise<SignerServer> {
  // Resolved once: every signing then uses the same chain (and a wrong vendor certificate stops the start).
  const options = { ...given, ...resolveVendorChain(given.vendor.certificate, given) };
  const host = options.host ?? '127.0.0.1';
  const findings = checkVendorIdentity(options);
  if (hasErrors(findings)) throw FindingsError.of('SIGNER_IDENTITY_INVALID', 'The signer cannot start: its vendor identity is unusable', findings);
  if (!options.tls && !isLoopback(host)) {
    findings.push(warning('SIGNER_PLAIN_HTTP', `The signer serves plain HTTP on ${host}: the token and CSRs cross the network unencrypted. Give it a TLS certificate (--tls-cert/--tls-key) or listen on 127.0.0.1.`));
  }
  const accepts = bearerTokenChecker(options.token);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));

  const routes: Record<string, { method: string; handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> }> = {
    [SIGNER_PATHS.sign]: { method: 'POST', handle: (req, res) => sign(req, res, options) },
    [SIGNER_PATHS.vendorCertificate]: { method: 'GET', handle: async (_req, res) => sendJson(res, 200, vendorStatus(options.vendor.certificate)) },
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const path = (req.url ?? '/').split('?')[0]!;
    res.on('close', () => log(`${new Date().toISOString()} signer ${printable(req.method ?? '-')} ${printable(path)} ${res.statusCode} ${Math.round(performance.now() - started)}ms`));
    // Anything thrown becomes an answer (problem.ts); nothing reaches the process.
    route(req, res, path).catch((error: unknown) => sendProblem(res, error, log));
  };

  const route = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    if (path === SIGNER_PATHS.health) {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed('GET');
      return sendJson(res, 200, { status: 'ok' });
    }
    // Authenticate before routing: without the token, nobody learns which paths exist.
    if (!accepts(req.headers.authorization)) {
      throw new HttpProblem('SIGNER_AUTH', req.headers.authorization
        ? 'The bearer token is not the signer\'s token. Use the token the signer was started with (CERTPUSH_SIGNER_TOKEN).'
        : 'Authorization is missing: send "Authorization: Bearer <the signer token>".', { headers: { 'www-authenticate': 'Bearer' } });
    }
    const target = routes[path];
    if (!target) throw new HttpProblem('SIGNER_NOT_FOUND', `There is no ${path} on the signer. It serves POST ${SIGNER_PATHS.sign}, GET ${SIGNER_PATHS.vendorCertificate} and GET ${SIGNER_PATHS.health}.`);
    if (req.method !== target.method) throw methodNotAllowed(target.method);
    await target.handle(req, res);
  };

  const server = options.tls ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, handler) : http.createServer(handler);
  // A slow client must not hold a connection forever: a CSR is small and a request is quick.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await listen(server, options.port ?? SIGNER_DEFAULT_PORT, host);
  const { port } = server.address() as AddressInfo;
  const url = `${options.tls ? 'https' : 'http'}://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;

  return {
    url,
    warnings: findings,
    close: () => new Promise<void>((resolve, reject) => {
      const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      cut.unref();
      server.close((error) => {
        clearTimeout(cut);
        if (error) reject(error);
        else resolve();
      });
      server.closeIdleConnections();
    }),
  };
}

async function sign(req: IncomingMessage, res: ServerResponse, options: SignerServerOptions & { intermediate: Certificate; root: Certificate }): Promise<void> {
  const body = await readJsonBody(req, SIGNER_BODY_LIMIT);
  const csr = csrFromBody(body);
  const signed = await signPushCertRequest({ csr, vendor: options.vendor, intermediate: options.intermediate, root: options.root });
  const answer: SignResponseBody = {
    request: signed.request,
    csrSubject: signed.csr.subject.text,
    warnings: signed.warnings,
    vendorCertificate: { ...signed.vendorCertificate, notAfter: signed.vendorCertificate.notAfter.toISOString() },
  };
  sendJson(res, 200, answer);
}

/** The CSR from `{"csr": …}`: PEM text as is, anything else as Base64 of the DER. */
function csrFromBody(body: unknown): string | Buffer {
  const csr = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>).csr : undefined;
  if (typeof csr !== 'string' || csr.trim() === '') {
    throw new HttpProblem('SIGNER_BAD_REQUEST', 'The body must be a JSON object {"csr": "<the CSR as PEM, or Base64 of its DER>"}.');
  }
  if (csr.includes('-----BEGIN ')) return csr;
  const base64 = csr.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 === 1) {
    throw new HttpProblem('SIGNER_BAD_REQUEST', '"csr" is neither PEM ("-----BEGIN CERTIFICATE REQUEST-----") nor Base64 of the CSR\'s DER.');
  }
  return Buffer.from(base64, 'base64');
}

function vendorStatus(cert: Certificate): VendorCertificateStatus {
  return { subject: cert.subject.text, notAfter: cert.notAfter.toISOString(), daysLeft: daysLeft(cert) };
}

function methodNotAllowed(allowed: string): HttpProblem {
  return new HttpProblem('SIGNER_METHOD_NOT_ALLOWED', `Use ${allowed} for this path.`, { headers: { allow: allowed } });
}


function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(new CertpushError('SIGNER_LISTEN', `The signer cannot listen on ${host}:${port} (${error.code ?? error.message}): ${error.code === 'EADDRINUSE' ? 'another process uses that port; stop it or pick another --port' : 'check --host and --port'}.`, { cause: error }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** Keep log lines one line and printable, whatever the client put in the request line. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
}
