import { type Certificate, daysLeft, isSignedBy } from '../pki/certificate.ts';
import { buildChain, verifyChain } from '../pki/chain.ts';
import { error, type Finding, hasErrors, warning } from '../pki/finding.ts';

/** Warn when the certificate has fewer days left than this: Dev Center needs the new one uploaded first. */
export const EXPIRY_WARNING_DAYS = 30;

/** What `checkMpnsCredential` found about an authenticated web service's certificate. */
export interface MpnsCredentialReport {
  /** True when no finding is an error: the certificate can authenticate the web service. */
  passed: boolean;
  findings: Finding[];
  /** The Service Name: the subject CN, which the app passes when it opens its channel. */
  serviceName: string | null;
  /** How the app uses it: `new HttpNotificationChannel(channelName, "<CN>")`. */
  appUsage: string | null;
  subject: string;
  issuer: string;
  notAfter: string;
  daysLeft: number;
  extendedKeyUsage: string[];
  /** Subjects from the certificate up to its root, as far as they could be found. */
  chain: string[];
  /** The allowed root it chains to, when it does. */
  root: string | null;
}

/**
 * Check a certificate for MPNS's authenticated web service ("Setting up an authenticated web
 * service to send push notifications for Windows Phone 8"): its extended key usage includes
 * client authentication; it chains to one of `roots` (the "SSL root certificates for Windows
 * Phone OS 7.1", supplied by the operator); it is valid at `now`, with the days left; and its
 * subject CN, the Service Name, is reported with how the app uses it. Pure: every problem is
 * a finding, nothing is thrown.
 *
 * @example checkMpnsCredential({ certificate, chain, roots: parseCertificates(rootsPem) }).serviceName
 */
export function checkMpnsCredential(input: {
  certificate: Certificate;
  /** Intermediates (and anything else) that came with the certificate. */
  chain?: readonly Certificate[];
  /** The allowed roots. */
  roots: readonly Certificate[];
  now?: Date;
}): MpnsCredentialReport {
  const { certificate: cert, roots } = input;
  const now = input.now ?? new Date();
  const findings: Finding[] = [];

  if (!cert.extendedKeyUsage.includes('clientAuth')) {
    const has = cert.extendedKeyUsage.length > 0 ? `its extended key usage is ${cert.extendedKeyUsage.join(', ')}` : 'it has no extended key usage extension';
    findings.push(error('MPNS_NO_CLIENT_AUTH', `The certificate cannot authenticate a web service: ${has}, and MPNS requires client authentication (1.3.6.1.5.5.7.3.2). Request a certificate with the "TLS Web Client Authentication" extended key usage.`));
  }
  if (cert.keyUsage.length > 0 && !cert.keyUsage.includes('digitalSignature')) {
    findings.push(error('MPNS_KEY_USAGE', `The certificate's key usage (${cert.keyUsage.join(', ')}) lacks digitalSignature, which a TLS client certificate needs to sign the handshake. Request a certificate whose key usage includes digitalSignature.`));
  }
  const serviceName = cert.commonName;
  if (!serviceName) {
    findings.push(error('MPNS_NO_SERVICE_NAME', `The certificate's subject (${cert.subject.text || 'empty'}) has no common name (CN), and the Service Name the app passes to HttpNotificationChannel is the CN. Request a certificate with a CN.`));
  }

  let path: Certificate[] = [cert];
  let root: Certificate | null = null;
  if (roots.length === 0) {
    findings.push(error('MPNS_NO_ROOTS', 'No allowed root certificates were given, so the chain cannot be checked. Pass the "SSL root certificates for Windows Phone OS 7.1" as a PEM bundle (--roots FILE).'));
  } else {
    path = buildChain(cert, [...(input.chain ?? []), ...roots]);
    const last = path[path.length - 1]!;
    root = roots.find((r) => r.fingerprintSha256 === last.fingerprintSha256)
      ?? roots.find((r) => r.subject.text === last.issuer.text && isSignedBy(last, r))
      ?? null;
    const roles = path.map((_, i) => (i === 0 ? 'client certificate' : i === path.length - 1 && root ? 'root certificate' : 'intermediate certificate'));
    for (const finding of verifyChain(path, { anchors: roots, at: now, roles })) {
      if (!root && (finding.code === 'CHAIN_UNTRUSTED_ROOT' || finding.code === 'CHAIN_INCOMPLETE')) {
        findings.push(error('MPNS_ROOT_NOT_ALLOWED', `The certificate chains to "${last.selfIssued ? last.subject.text : last.issuer.text}", which is not one of the ${roots.length} allowed root(s). MPNS accepts only certificates from the CAs in "SSL root certificates for Windows Phone OS 7.1"; get one from such a CA (or add a missing intermediate).`));
      } else {
        findings.push(finding);
      }
    }
  }

  const left = daysLeft(cert, now);
  if (now >= cert.notBefore && left >= 0 && left < EXPIRY_WARNING_DAYS) {
    findings.push(warning('MPNS_CERT_EXPIRING', `The certificate expires in ${left} day(s) (${cert.notAfter.toISOString()}). The web service is authenticated only until it expires: upload a renewed certificate to Dev Center now.`));
  }

  return {
    passed: !hasErrors(findings),
    findings,
    serviceName,
    appUsage: serviceName ? `new HttpNotificationChannel(channelName, ${JSON.stringify(serviceName)})` : null,
    subject: cert.subject.text,
    issuer: cert.issuer.text,
    notAfter: cert.notAfter.toISOString(),
    daysLeft: left,
    extendedKeyUsage: cert.extendedKeyUsage,
    chain: path.map((c) => c.subject.text),
    root: root ? root.subject.text : null,
  };
}
