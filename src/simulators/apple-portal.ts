import crypto from 'node:crypto';
import { CertpushError } from '../errors.ts';
import { isSignedBy, parseCertificate } from '../pki/certificate.ts';
import { verifyPushCertRequest } from '../mdm/push-cert-request.ts';
import { FindingsError } from '../pki/finding.ts';
import { issueMdmPushCertificate, MDM_TOPIC_PREFIX, type TestPki } from './test-pki.ts';

export interface PortalResult {
  /** The MDM push certificate, PEM (Apple's portal names it MDM_<vendor>_Certificate.pem). */
  cert: string;
  /** The push topic: the certificate's subject UID. */
  topic: string;
  renewed: boolean;
}

/**
 * A stand-in for Apple's Push Certificates Portal (identity.apple.com/pushcert): verifies an
 * uploaded Push Certificate Request as Apple does — against this test PKI's Apple root — and
 * issues an MDM push certificate for the CSR's key. Given the certificate being renewed, the
 * new one keeps its topic, as Apple's "Renew" does; a fresh upload gets a new topic.
 */
export async function issuePushCertificate(pki: TestPki, request: string | Uint8Array, options: { previous?: string | Uint8Array; now?: Date } = {}): Promise<PortalResult> {
  const report = await verifyPushCertRequest(request, { root: parseCertificate(pki.appleRoot.cert), now: options.now });
  if (!report.valid || !report.csr) {
    throw FindingsError.of('PORTAL_REJECTED', 'Apple\'s portal would reject this request', report.findings);
  }
  let topic: string | undefined;
  if (options.previous !== undefined) {
    const previous = parseCertificate(options.previous);
    if (!isSignedBy(previous, parseCertificate(pki.pushCa.cert)) || !previous.uid?.startsWith(MDM_TOPIC_PREFIX)) {
      throw new CertpushError('PORTAL_NOT_RENEWABLE', 'The certificate to renew was not issued by this portal (it is not an MDM push certificate of this test PKI). Renew a certificate this portal issued, or upload without --renew.');
    }
    topic = previous.uid;
  }
  const publicKey = crypto.createPublicKey({ key: report.csr.publicKey.spki, format: 'der', type: 'spki' });
  const { cert, topic: issuedTopic } = await issueMdmPushCertificate(pki, { publicKey, topic, notBefore: options.now });
  return { cert, topic: issuedTopic, renewed: topic !== undefined };
}
