import crypto from 'node:crypto';
import { CertpushError, type ErrorCode } from '../errors.ts';
import { type Certificate, certificateToPem, daysLeft, parseCertificateDer } from '../pki/certificate.ts';
import { verifyChain } from '../pki/chain.ts';
import { type Csr, parseCsr, verifyCsrSignature } from '../pki/csr.ts';
import { error, type Finding, FindingsError, hasErrors, warning } from '../pki/finding.ts';
import type { Identity } from '../pki/identity.ts';
import { keyMatchesSpki } from '../pki/key.ts';
import { parsePem, pemLineProblems, toPem } from '../pki/pem.ts';
import { appleRoots, resolveVendorChain } from './apple-cas.ts';
import { buildRequestPlist, decodeBase64, encodeRequest, parseRequestPlist, REQUEST_KEYS, requestXml } from './request-plist.ts';

/** Apple's portal takes 2048-bit RSA CSRs. */
export const REQUIRED_CSR_KEY_BITS = 2048;
/** Warn when the vendor certificate has fewer days left than this. */
export const VENDOR_EXPIRY_WARNING_DAYS = 30;

const CHAIN_ROLES = ['vendor MDM signing certificate', 'WWDR intermediate certificate', 'Apple root certificate'];

export interface SignInput {
  /** The customer's CSR, PEM or DER. */
  csr: Uint8Array | string;
  /** The vendor's MDM signing certificate and key. */
  vendor: Identity;
  /** The WWDR intermediate that issued the vendor certificate. Default: chosen from Apple's built-in CAs. */
  intermediate?: Certificate;
  /** The root above it. Default: the built-in Apple root that issued the intermediate. */
  root?: Certificate;
  now?: Date;
}

export interface SignedRequest {
  /** What the customer uploads to Apple's Push Certificates Portal: Base64 of the plist. */
  request: string;
  /** The XML plist before Base64. */
  plist: string;
  csr: Csr;
  signature: Buffer;
  /** Non-fatal findings (e.g. the vendor certificate expires soon). */
  warnings: Finding[];
  vendorCertificate: { subject: string; notAfter: Date; daysLeft: number };
}

export interface VerifyOptions {
  /**
   * The root the chain must end at (a test PKI's). Default: any of Apple's built-in roots, so
   * no request is ever taken unverified.
   */
  root?: Certificate;
  /** Several acceptable roots instead of one. */
  roots?: readonly Certificate[];
  now?: Date;
}

export interface VerifyReport {
  /** True when Apple's portal would accept the request (no error findings). */
  valid: boolean;
  findings: Finding[];
  csr: Csr | null;
  chain: Certificate[];
}

/**
 * Vendor-sign a customer's CSR into Apple's Push Certificate Request. Checks everything
 * first (CSR self-signature and key, vendor certificate validity and key, chain to the root),
 * signs the CSR's DER with SHA256withRSA, builds the plist, and verifies the result exactly
 * as {@link verifyPushCertRequest} would before returning it. Throws REQUEST_SIGN_REFUSED
 * listing every problem.
 *
 * @example
 * const vendor = loadIdentity({ cert: fs.readFileSync('vendor.pem'), key: fs.readFileSync('vendor.key') });
 * const { request } = await signPushCertRequest({ csr, vendor, intermediate, root });
 * fs.writeFileSync('push-cert-request.b64', request);
 */
export async function signPushCertRequest(input: SignInput): Promise<SignedRequest> {
  const now = input.now ?? new Date();
  const csr = parseCsr(input.csr);
  const { intermediate, root } = resolveVendorChain(input.vendor.certificate, input);
  const findings = [...(await csrFindings(csr)), ...checkVendorIdentity({ vendor: input.vendor, intermediate, root }, now)];
  refuseOnErrors('REQUEST_SIGN_REFUSED', 'The CSR was not signed', findings);

  // Apple: "Sign the binary-formatted CSR … using the SHA256WithRSA signing algorithm."
  const signature = crypto.sign('sha256', csr.der, input.vendor.privateKey);
  const plist = buildRequestPlist({
    PushCertRequestCSR: csr.der.toString('base64'),
    PushCertCertificateChain: [input.vendor.certificate, intermediate, root].map(certificateToPem).join(''),
    PushCertSignature: signature.toString('base64'),
  });
  const request = encodeRequest(plist);

  const check = await verifyPushCertRequest(request, { root, now });
  refuseOnErrors('REQUEST_SELF_CHECK_FAILED', 'The signed request failed its own verification (a certpush bug: please report it)', check.findings);
  return {
    request,
    plist,
    csr,
    signature,
    warnings: findings.filter((f) => f.severity === 'warning'),
    vendorCertificate: { subject: input.vendor.certificate.subject.text, notAfter: input.vendor.certificate.notAfter, daysLeft: daysLeft(input.vendor.certificate, now) },
  };
}

/**
 * Decode a Push Certificate Request and report every problem Apple's portal would see: bad
 * Base64, not a plist, missing keys, an unparsable CSR, a signature not from the vendor
 * certificate (or over the wrong bytes, or with SHA-1), a chain that is incomplete, out of
 * order or not ending at `root` (default: Apple's built-in roots), PEM lines that are not 64 characters, expired certificates.
 * Never throws for a bad request: problems are findings.
 */
export async function verifyPushCertRequest(input: string | Uint8Array, options: VerifyOptions): Promise<VerifyReport> {
  const now = options.now ?? new Date();
  const findings: Finding[] = [];
  const report = (): VerifyReport => ({ valid: !hasErrors(findings), findings, csr, chain });
  let csr: Csr | null = null;
  let chain: Certificate[] = [];

  let dict: Record<string, unknown>;
  try {
    const { xml, wasBase64 } = requestXml(input);
    if (!wasBase64) findings.push(error('REQUEST_NOT_BASE64', 'The request is a bare XML plist; Apple\'s portal expects it Base64-encoded. Upload the Base64 file certpush mdm vendor-sign writes.'));
    dict = parseRequestPlist(xml);
  } catch (e) {
    if (e instanceof CertpushError) return { valid: false, findings: [error(e.code, e.message)], csr, chain };
    throw e;
  }

  const fields = new Map<string, string>();
  for (const key of Object.values(REQUEST_KEYS)) {
    const value = dict[key];
    if (value === undefined) findings.push(error('REQUEST_MISSING_KEY', `The request plist has no "${key}" key. All three keys are required: ${Object.values(REQUEST_KEYS).join(', ')}.`));
    else if (typeof value !== 'string' || value.trim() === '') findings.push(error('REQUEST_BAD_VALUE', `"${key}" must be a non-empty <string> in the request plist.`));
    else fields.set(key, value);
  }
  for (const key of Object.keys(dict)) {
    if (!(Object.values(REQUEST_KEYS) as string[]).includes(key)) findings.push(warning('REQUEST_UNKNOWN_KEY', `The request plist has an unexpected key "${key}"; Apple ignores or rejects it. Remove it.`));
  }

  const csrText = fields.get(REQUEST_KEYS.csr);
  if (csrText !== undefined) {
    const der = decodeBase64(csrText);
    if (!der) findings.push(error('CSR_BAD_BASE64', 'PushCertRequestCSR is not valid Base64 of the CSR\'s DER bytes.'));
    else {
      try {
        csr = parseCsr(der);
        findings.push(...(await csrFindings(csr)));
      } catch (e) {
        findings.push(error('CSR_UNPARSABLE', `PushCertRequestCSR does not decode to a PKCS#10 CSR: ${(e as Error).message} Put the Base64 of the CSR's DER (not PEM) there.`));
      }
    }
  }

  const chainText = fields.get(REQUEST_KEYS.chain);
  if (chainText !== undefined) {
    chain = chainCertificates(chainText, findings);
    for (const p of pemLineProblems(chainText)) {
      findings.push(error('CHAIN_PEM_LINE_LENGTH', `In PushCertCertificateChain, certificate ${p.block} line ${p.line} has ${p.length} characters; every line but the last must have exactly 64 (the last at most 64). Re-encode the chain as standard PEM.`));
    }
    if (chain.length > 0) {
      if (chain.length < 3) findings.push(error('CHAIN_INCOMPLETE', `PushCertCertificateChain has ${chain.length} certificate(s); it must hold 3: the vendor MDM signing certificate, the WWDR intermediate and the Apple root, in that order.`));
      const anchors = options.root ? [options.root] : options.roots ?? appleRoots();
      findings.push(...verifyChain(chain, { anchors, at: now, roles: CHAIN_ROLES }));
    }
  }

  const signatureText = fields.get(REQUEST_KEYS.signature);
  if (signatureText !== undefined && csr && chain.length > 0) {
    const signature = decodeBase64(signatureText);
    if (!signature) findings.push(error('SIGNATURE_BAD_BASE64', 'PushCertSignature is not valid Base64.'));
    else findings.push(...signatureFindings(csr, chain, signature));
  }
  return report();
}

async function csrFindings(csr: Csr): Promise<Finding[]> {
  const findings: Finding[] = [];
  if (!(await verifyCsrSignature(csr))) {
    findings.push(error('CSR_BAD_SIGNATURE', 'The CSR\'s self-signature does not verify: it was altered after it was made, or is corrupt. Ask the customer for a fresh CSR.'));
  }
  // The CSR's own signature only proves possession of its key, and Apple's portal is not known to
  // refuse SHA-1 there (only the vendor's PushCertSignature must be SHA256withRSA): a warning, so a
  // tool that still defaults to SHA-1 gets noticed before Apple changes its mind.
  if (csr.signed.hash === 'sha1') {
    findings.push(warning('CSR_SIGNATURE_SHA1', 'The CSR is self-signed with SHA-1 (sha1WithRSAEncryption). Apple\'s portal may refuse SHA-1; make a new CSR with SHA-256 (openssl req -new -sha256 …, or certpush mdm csr).'));
  }
  if (csr.publicKey.type !== 'rsa') {
    findings.push(error('CSR_KEY_TYPE', `The CSR's key is ${csr.publicKey.type.toUpperCase()}; Apple's portal needs an RSA ${REQUIRED_CSR_KEY_BITS}-bit key. Generate a new CSR with an RSA key.`));
  } else if (csr.publicKey.bits !== REQUIRED_CSR_KEY_BITS) {
    findings.push(error('CSR_KEY_SIZE', `The CSR's RSA key is ${csr.publicKey.bits} bits; Apple's portal needs ${REQUIRED_CSR_KEY_BITS}. Generate a new CSR with a ${REQUIRED_CSR_KEY_BITS}-bit key.`));
  }
  return findings;
}

/**
 * What every signing checks about the vendor's side, also run once when a signer starts: the
 * vendor key belongs to the vendor certificate, vendor → WWDR → root verifies today, and a
 * warning when the vendor certificate has under VENDOR_EXPIRY_WARNING_DAYS left.
 */
export function checkVendorIdentity(identity: { vendor: Identity; intermediate: Certificate; root: Certificate }, now: Date = new Date()): Finding[] {
  const cert = identity.vendor.certificate;
  const findings: Finding[] = [];
  if (!keyMatchesSpki(identity.vendor.privateKey, cert.publicKey.spki)) {
    findings.push(error('VENDOR_KEY_MISMATCH', 'The vendor private key does not belong to the vendor certificate. Use the key from which the MDM signing certificate was requested.'));
  }
  const days = daysLeft(cert, now);
  if (days >= 0 && days < VENDOR_EXPIRY_WARNING_DAYS) {
    findings.push(warning('VENDOR_CERT_EXPIRING', `The vendor MDM signing certificate expires in ${days} day(s) (${cert.notAfter.toISOString()}). Renew it in the Apple Developer portal soon.`));
  }
  findings.push(...verifyChain([cert, identity.intermediate, identity.root], { anchors: [identity.root], at: now, roles: CHAIN_ROLES }));
  return findings;
}

function chainCertificates(text: string, findings: Finding[]): Certificate[] {
  let blocks;
  try {
    blocks = parsePem(text);
  } catch (e) {
    findings.push(error('CHAIN_BAD_PEM', `PushCertCertificateChain is not valid PEM: ${(e as Error).message}`));
    return [];
  }
  if (blocks.length === 0) {
    findings.push(error('CHAIN_BAD_PEM', 'PushCertCertificateChain holds no PEM certificates. Put the vendor, WWDR and Apple root certificates there, PEM-encoded.'));
    return [];
  }
  const certs: Certificate[] = [];
  blocks.forEach((block, i) => {
    if (block.label !== 'CERTIFICATE') {
      findings.push(error('CHAIN_WRONG_BLOCK', `PushCertCertificateChain block ${i + 1} is "${block.label}", not a CERTIFICATE. Never put a private key in the request.`));
      return;
    }
    try {
      certs.push(parseCertificateDer(block.der));
    } catch (e) {
      findings.push(error('CHAIN_CERT_UNPARSABLE', `PushCertCertificateChain certificate ${i + 1} cannot be parsed: ${(e as Error).message}`));
    }
  });
  return certs;
}

function signatureFindings(csr: Csr, chain: Certificate[], signature: Buffer): Finding[] {
  const vendor = chain[0]!;
  const verifies = (algorithm: string, data: Uint8Array, cert: Certificate) => {
    try {
      return crypto.verify(algorithm, data, cert.x509.publicKey, signature);
    } catch {
      return false;
    }
  };
  if (verifies('sha256', csr.der, vendor)) return [];
  // Explain the usual ways a signature goes wrong rather than only saying it is invalid.
  if (verifies('sha1', csr.der, vendor)) {
    return [error('SIGNATURE_SHA1', 'PushCertSignature was made with SHA1withRSA; Apple requires SHA256withRSA over the CSR\'s DER.')];
  }
  const pem = Buffer.from(toPem('CERTIFICATE REQUEST', csr.der));
  if (verifies('sha256', pem, vendor)) {
    return [error('SIGNATURE_OVER_PEM', 'PushCertSignature signs the CSR\'s PEM text; Apple verifies it over the DER bytes. Convert the CSR to DER, then sign.')];
  }
  const other = chain.slice(1).find((c) => verifies('sha256', csr.der, c));
  if (other) {
    return [error('SIGNATURE_WRONG_CERT', `PushCertSignature was made by "${other.subject.text}", but Apple checks it against the first certificate of the chain. Put the vendor MDM signing certificate first.`)];
  }
  return [error('SIGNATURE_INVALID', `PushCertSignature does not verify with the vendor certificate "${vendor.subject.text}" over the CSR: "Certificate Signature Verification failed because the signature is invalid". Sign the CSR's DER with this certificate's private key, using SHA256withRSA.`)];
}

function refuseOnErrors(code: ErrorCode, what: string, findings: Finding[]): void {
  if (hasErrors(findings)) throw FindingsError.of(code, what, findings);
}

export { FindingsError };
