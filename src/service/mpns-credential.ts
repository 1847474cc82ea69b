import { checkMpnsCredential, type MpnsCredentialReport } from '../mpns/credential-check.ts';
import { certificateToPem, daysLeft, parseCertificate } from '../pki/certificate.ts';
import { type IdentitySource, loadIdentity } from '../pki/identity.ts';
import { readPkcs12OffThread } from '../pki/pkcs12-thread.ts';
import { FindingsError } from '../pki/finding.ts';
import { privateKeyToPem } from '../pki/key.ts';
import type { AuditRole } from '../store/roles/audit.ts';
import type { CredentialsRole } from '../store/roles/credentials.ts';
import type { TenantsRole } from '../store/roles/tenants.ts';
import { type Actor, actorName, type ServiceContext } from './context.ts';
import { notFound, unprocessable } from './errors.ts';
import { requireTenant } from './tenants.ts';

export interface MpnsCredentialUpload {
  /** PKCS#12, Base64. */
  pkcs12?: string;
  password?: string;
  /** Or PEM certificate (with any intermediates) and PEM key. */
  certificate?: string;
  key?: string;
}

export interface MpnsCredentialView {
  serviceName: string;
  appUsage: string;
  subject: string;
  notAfter: string;
  daysLeft: number;
  fingerprint: string;
}

const keyContext = (tenantId: string) => `tenant:${tenantId}:mpns-key`;

/**
 * Install the tenant's MPNS web service certificate after the authenticated-service checks:
 * clientAuth, chains to an allowed root, valid now. Returns the Service Name (the subject CN)
 * the app must use. The key is sealed; nothing returns it.
 */
export async function putMpnsCredential(ctx: ServiceContext<TenantsRole & CredentialsRole & AuditRole>, actor: Actor, tenantId: string, upload: MpnsCredentialUpload): Promise<MpnsCredentialView & { report: MpnsCredentialReport }> {
  await requireTenant(ctx, tenantId);
  let source: IdentitySource;
  // Read off the event loop: its key derivation may take seconds at the iteration limit.
  if (upload.pkcs12) source = { pkcs12Contents: await readPkcs12OffThread(Buffer.from(upload.pkcs12, 'base64'), upload.password ?? '') };
  else if (upload.certificate && upload.key) source = { cert: upload.certificate, key: upload.key };
  else throw unprocessable('MPNS_CREDENTIAL_MISSING', 'Give the credential as {"pkcs12": "<Base64>", "password": "…"} or {"certificate": "<PEM>", "key": "<PEM>"}.');
  const identity = loadIdentity(source);
  const report = checkMpnsCredential({ certificate: identity.certificate, chain: identity.chain, roots: ctx.mpnsRoots, now: ctx.now() });
  if (!report.passed) throw FindingsError.of('MPNS_CREDENTIAL_REJECTED', 'The certificate cannot authenticate an MPNS web service', report.findings);
  const cert = identity.certificate;
  await ctx.store.mpnsCredentials.put({
    tenantId,
    certPem: certificateToPem(cert),
    chainPem: identity.chain.map(certificateToPem).join(''),
    keySealed: ctx.secrets.seal(privateKeyToPem(identity.privateKey), keyContext(tenantId)),
    serviceName: report.serviceName!,
    notAfter: cert.notAfter.getTime(),
    fingerprint: cert.fingerprintSha256,
    warned: '',
    updatedAt: ctx.now().getTime(),
  });
  await ctx.store.audit.record({ tenantId, actor: actorName(actor), action: 'mpns.credential.installed', detail: { serviceName: report.serviceName, notAfter: cert.notAfter.toISOString(), fingerprint: cert.fingerprintSha256 } });
  await ctx.store.tenants.resume(tenantId, 'mpns');
  ctx.onCredentialChange?.(tenantId);
  return { ...(await getMpnsCredential(ctx, tenantId)), report };
}

export async function getMpnsCredential(ctx: ServiceContext<TenantsRole & CredentialsRole>, tenantId: string): Promise<MpnsCredentialView> {
  await requireTenant(ctx, tenantId);
  const record = await ctx.store.mpnsCredentials.get(tenantId);
  if (!record) throw notFound('The MPNS credential of this tenant');
  return {
    serviceName: record.serviceName,
    appUsage: `new HttpNotificationChannel(channelName, ${JSON.stringify(record.serviceName)})`,
    subject: parseCertificate(record.certPem).subject.text,
    notAfter: new Date(record.notAfter).toISOString(),
    daysLeft: daysLeft(parseCertificate(record.certPem), ctx.now()),
    fingerprint: record.fingerprint,
  };
}

/** The tenant's MPNS client certificate chain and key, for delivery. Null when none. */
export async function mpnsSendingIdentity(ctx: ServiceContext<CredentialsRole>, tenantId: string): Promise<{ certPem: string; keyPem: string } | null> {
  const record = await ctx.store.mpnsCredentials.get(tenantId);
  if (!record) return null;
  return { certPem: record.certPem + record.chainPem, keyPem: ctx.secrets.open(record.keySealed, keyContext(tenantId)).toString('utf8') };
}
