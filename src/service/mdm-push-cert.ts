import { checkPushCertificateImport, readUploadedPushCertificateOffThread } from '../mdm/push-cert-import.ts';
import { verifyPushCertRequest } from '../mdm/push-cert-request.ts';
import { appleIssuerOf } from '../mdm/apple-cas.ts';
import { type Certificate, certificateToPem, daysLeft, parseCertificate } from '../pki/certificate.ts';
import { createCsr, csrToPem, parseCsr } from '../pki/csr.ts';
import { type Finding, FindingsError } from '../pki/finding.ts';
import { generateRsaKey, parsePrivateKey, privateKeyToPem, spkiOf } from '../pki/key.ts';
import type { MdmCertRecord } from '../store/mdm-certs.ts';
import { type Actor, actorName, type ServiceContext } from './context.ts';
import { conflict, ServiceError, unprocessable } from './errors.ts';
import { requireTenant } from './tenants.ts';

/**
 * The MDM push certificate of a tenant as one resource with a state:
 * none → awaiting-signature (CSR made) → awaiting-apple (signed request ready) → active;
 * renewing (a new CSR/request while the current certificate keeps working); expired.
 */
export type MdmCertState = 'none' | 'awaiting-signature' | 'awaiting-apple' | 'active' | 'renewing' | 'expired';

export interface MdmCertView {
  state: MdmCertState;
  topic: string | null;
  notAfter: string | null;
  daysLeft: number | null;
  fingerprint: string | null;
  subject: string | null;
  /** The CSR waiting for a signature or for Apple (PEM), if any. */
  pendingCsr: string | null;
  /** The Base64 request for Apple's portal, once signed. */
  pendingRequest: string | null;
  /** During renewal: the topic the new certificate must have. */
  requiredTopic: string | null;
  /** Who issued the certificate: `apple` when it chains to Apple's built-in CAs (AAI2 → Apple Inc. Root today). */
  issuer: { apple: boolean; name: string | null; root: string | null } | null;
}

/** Derive the state from what is stored: nothing about it is stored twice. */
export function mdmCertState(record: MdmCertRecord | undefined, now: Date): MdmCertState {
  if (!record) return 'none';
  if (record.certPem) {
    if (record.pendingCsrPem) return 'renewing';
    return record.notAfter !== null && record.notAfter < now.getTime() ? 'expired' : 'active';
  }
  if (record.pendingRequest) return 'awaiting-apple';
  if (record.pendingCsrPem) return 'awaiting-signature';
  return 'none';
}

export function describeMdmCert(record: MdmCertRecord | undefined, now: Date): MdmCertView {
  const cert = record?.certPem ? parseCertificate(record.certPem) : null;
  const state = mdmCertState(record, now);
  return {
    state,
    topic: record?.topic ?? null,
    notAfter: record?.notAfter ? new Date(record.notAfter).toISOString() : null,
    daysLeft: cert ? daysLeft(cert, now) : null,
    fingerprint: record?.fingerprint ?? null,
    subject: cert?.subject.text ?? null,
    pendingCsr: record?.pendingCsrPem ?? null,
    pendingRequest: record?.pendingRequest ?? null,
    requiredTopic: state === 'renewing' ? record?.topic ?? null : null,
    issuer: cert ? issuerView(cert) : null,
  };
}

function issuerView(cert: Certificate): MdmCertView['issuer'] {
  const issuer = appleIssuerOf(cert);
  return { apple: issuer.apple, name: issuer.apple ? issuer.issuer : cert.issuer.text, root: issuer.root };
}

const keyContext = (tenantId: string) => `tenant:${tenantId}:mdm-key`;

export async function getMdmCert(ctx: ServiceContext, tenantId: string): Promise<MdmCertView> {
  await requireTenant(ctx, tenantId);
  return describeMdmCert(await ctx.store.mdmCerts.get(tenantId), ctx.now());
}

/**
 * Generate the tenant's RSA 2048 key and CSR inside certpush (the key never leaves it: only
 * its sealed form is stored, and no route returns it). With an active certificate this starts
 * a renewal: the current certificate keeps working until the new one is imported.
 */
export async function generateMdmCsr(ctx: ServiceContext, actor: Actor, tenantId: string, subject: { email?: string; org?: string; country?: string }): Promise<MdmCertView> {
  const tenant = await requireTenant(ctx, tenantId);
  const key = generateRsaKey();
  const csr = await createCsr(key, {
    CN: `${tenant.name} MDM push`.slice(0, 64),
    O: subject.org || undefined,
    C: subject.country ? subject.country.toUpperCase() : undefined,
    emailAddress: subject.email || undefined,
  });
  await ctx.store.mdmCerts.upsert(tenantId, {
    pendingKeySealed: ctx.secrets.seal(privateKeyToPem(key), keyContext(tenantId)),
    pendingCsrPem: csrToPem(csr),
    pendingRequest: null,
  }, ctx.now().getTime());
  const view = await getMdmCert(ctx, tenantId);
  await ctx.store.audit.record({ tenantId, actor: actorName(actor), action: view.state === 'renewing' ? 'mdm.renewal.csr-created' : 'mdm.csr-created', detail: { subject: csr.subject.text } });
  return view;
}

/** Ask the configured vendor signer to sign the pending CSR; store and return the request. */
export async function requestSignature(ctx: ServiceContext, actor: Actor, tenantId: string): Promise<MdmCertView> {
  await requireTenant(ctx, tenantId);
  const record = await ctx.store.mdmCerts.get(tenantId);
  if (!record?.pendingCsrPem) throw conflict('MDM_NO_CSR', 'There is no CSR to sign: create one first (POST …/mdm/csr).');
  if (!ctx.signer) {
    throw new ServiceError('SIGNER_NOT_CONFIGURED', 'No vendor signer is configured (--signer-url). Send the CSR to your MDM vendor to sign offline (certpush mdm vendor-sign), then upload the result with PUT …/mdm/push-cert-request.');
  }
  const { request } = await ctx.signer.sign(record.pendingCsrPem);
  return storeRequest(ctx, actor, tenantId, record, request, 'signer');
}

/** Store a request the vendor signed offline, after checking it is for this tenant's CSR. */
export async function uploadSignedRequest(ctx: ServiceContext, actor: Actor, tenantId: string, request: string): Promise<MdmCertView> {
  await requireTenant(ctx, tenantId);
  const record = await ctx.store.mdmCerts.get(tenantId);
  if (!record?.pendingCsrPem) throw conflict('MDM_NO_CSR', 'There is no pending CSR for this tenant: create one first (POST …/mdm/csr), have it signed, then upload the request.');
  return storeRequest(ctx, actor, tenantId, record, request.trim(), 'upload');
}

async function storeRequest(ctx: ServiceContext, actor: Actor, tenantId: string, record: MdmCertRecord, request: string, via: string): Promise<MdmCertView> {
  // Verified up to the configured root (simulators, a test PKI) or else to Apple's built-in
  // roots: never unverified. And the request must carry *this tenant's* CSR, correctly signed.
  const decoded = await verifyPushCertRequest(request, { root: ctx.appleRoot ?? undefined, now: ctx.now() });
  const errors = decoded.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0 || !decoded.csr) throw FindingsError.of('MDM_REQUEST_INVALID', 'The push certificate request is not valid', decoded.findings);
  if (!decoded.csr.der.equals(parseCsr(record.pendingCsrPem!).der)) {
    throw unprocessable('MDM_REQUEST_WRONG_CSR', 'The request was signed for a different CSR than this tenant\'s pending one. Sign the CSR certpush generated for this tenant (GET …/mdm/push-cert shows it).');
  }
  await ctx.store.mdmCerts.upsert(tenantId, { pendingRequest: request }, ctx.now().getTime());
  await ctx.store.audit.record({ tenantId, actor: actorName(actor), action: 'mdm.request-signed', detail: { via } });
  return getMdmCert(ctx, tenantId);
}

/**
 * Import Apple's MDM push certificate (PEM/DER, or PKCS#12 with password): its key must be the
 * one certpush generated, its UID an MDM topic, and on renewal the topic must stay the same
 * unless `force` (enrolled devices would stop answering).
 */
export async function importPushCertificate(ctx: ServiceContext, actor: Actor, tenantId: string, upload: { data: Uint8Array | string; password?: string; force?: boolean }): Promise<MdmCertView & { warnings: Finding[] }> {
  await requireTenant(ctx, tenantId);
  const record = await ctx.store.mdmCerts.get(tenantId);
  const sealed = record?.pendingKeySealed ?? record?.keySealed;
  if (!record || !sealed) throw conflict('MDM_NO_KEY', 'This tenant has no key to pair the certificate with: create a CSR first (POST …/mdm/csr), get it signed and uploaded to Apple, then import the certificate Apple issues.');
  const keyPem = ctx.secrets.open(sealed, keyContext(tenantId)).toString('utf8');
  const key = parsePrivateKey(keyPem);
  const candidate = await readUploadedPushCertificateOffThread(upload.data, { password: upload.password });
  const current = record.certPem ? parseCertificate(record.certPem) : null;
  const decision = checkPushCertificateImport(candidate, { expectedKeySpki: spkiOf(key), current, force: upload.force, now: ctx.now() });
  const cert = candidate.certificate;
  await ctx.store.mdmCerts.upsert(tenantId, {
    certPem: certificateToPem(cert),
    keySealed: ctx.secrets.seal(keyPem, keyContext(tenantId)),
    topic: decision.topic,
    notAfter: cert.notAfter.getTime(),
    fingerprint: cert.fingerprintSha256,
    pendingKeySealed: null,
    pendingCsrPem: null,
    pendingRequest: null,
    warned: '',
  }, ctx.now().getTime());
  await ctx.store.audit.record({
    tenantId, actor: actorName(actor),
    action: decision.renewal ? (decision.topicChanged ? 'mdm.push-cert.replaced' : 'mdm.push-cert.renewed') : 'mdm.push-cert.imported',
    detail: { topic: decision.topic, notAfter: cert.notAfter.toISOString(), fingerprint: cert.fingerprintSha256, ...(decision.topicChanged ? { previousTopic: current?.uid } : {}) },
  });
  // A new certificate resumes a tenant paused for a credential failure.
  await ctx.store.tenants.resume(tenantId, 'mdm');
  ctx.onCredentialChange?.(tenantId);
  return { ...(await getMdmCert(ctx, tenantId)), warnings: decision.findings.filter((f) => f.severity === 'warning') };
}

/** The tenant's active push certificate and key, for delivery. Null when there is none. */
export async function mdmSendingIdentity(ctx: ServiceContext, tenantId: string): Promise<{ certPem: string; keyPem: string; topic: string } | null> {
  const record = await ctx.store.mdmCerts.get(tenantId);
  if (!record?.certPem || !record.keySealed || !record.topic) return null;
  return { certPem: record.certPem, keyPem: ctx.secrets.open(record.keySealed, keyContext(tenantId)).toString('utf8'), topic: record.topic };
}

