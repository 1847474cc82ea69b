// certpush's public library surface: `import { … } from 'certpush'`. Every export is named here,
// on purpose — a new one is a decision (test/library-surface.test.ts pins the list), and helpers
// the modules share among themselves (DER walking, finding constructors, request framing) are
// not part of it. Everything here is also what the CLI and the service use.

// Errors: every failure is a CertpushError with a stable `code`; checks return Findings
// ({code, message, severity}) so a caller sees every problem at once, and refusals throw
// FindingsError carrying them.
export { CertpushError, isCertpushError } from './errors.ts';
// The codes themselves: each once, with its HTTP status and meaning (README's error tables).
export { ERROR_CATALOGUE, httpStatusOf, isErrorCode } from './error-catalogue.ts';
export type { CatalogueEntry, ErrorCode } from './error-catalogue.ts';
export { FindingsError, formatFindings, hasErrors } from './pki/finding.ts';
export type { Finding } from './pki/finding.ts';

// The certificate toolkit: pure functions over PEM/DER, keys, CSRs, certificates, chains and
// PKCS#12. No I/O: callers read files and pass bytes.
export {
  APNS_ENVIRONMENT_OIDS, certificateToPem, daysLeft, describeCertificate, isSignedBy, parseCertificate, parseCertificateDer, parseCertificates, validityAt,
} from './pki/certificate.ts';
export type { ApnsEnvironment, Certificate } from './pki/certificate.ts';
export { buildChain, findIssuer, verifyChain } from './pki/chain.ts';
export type { ChainCheckOptions } from './pki/chain.ts';
export { createCsr, csrToPem, parseCsr, verifyCsrSignature } from './pki/csr.ts';
export type { Csr, CsrSubject } from './pki/csr.ts';
export { DEFAULT_RSA_BITS, describeKey, generateRsaKey, keyMatchesSpki, parsePrivateKey, privateKeyToPem, spkiOf } from './pki/key.ts';
export type { KeyInfo } from './pki/key.ts';
export { identityToTls, loadIdentity } from './pki/identity.ts';
export type { Identity, IdentitySource } from './pki/identity.ts';
export { nameField } from './pki/name.ts';
export type { DistinguishedName, NameField } from './pki/name.ts';
export { looksLikePem, parsePem, toPem } from './pki/pem.ts';
export type { PemBlock } from './pki/pem.ts';
export { looksLikePkcs12, readPkcs12 } from './pki/pkcs12.ts';
export type { Pkcs12Contents } from './pki/pkcs12.ts';
export { issueCertificate } from './pki/issue.ts';
export type { IssueOptions } from './pki/issue.ts';
export { inspectFile } from './pki/inspect.ts';
export type { InspectedItem } from './pki/inspect.ts';

// MDM push certificates: vendor signing and verification, import rules, Apple's CAs, check-ins.
export { checkVendorIdentity, REQUIRED_CSR_KEY_BITS, signPushCertRequest, VENDOR_EXPIRY_WARNING_DAYS, verifyPushCertRequest } from './mdm/push-cert-request.ts';
export type { SignedRequest, SignInput, VerifyOptions, VerifyReport } from './mdm/push-cert-request.ts';
export { checkPushCertificateImport, MDM_TOPIC_PREFIX, readUploadedPushCertificate } from './mdm/push-cert-import.ts';
export type { ImportCandidate, ImportContext, ImportDecision } from './mdm/push-cert-import.ts';
export { REQUEST_KEYS } from './mdm/request-plist.ts';
export { appleCas, appleIssuerOf, appleRoots, appleVendorChain, appleWwdrCas, resolveVendorChain } from './mdm/apple-cas.ts';
export type { AppleCa, AppleCaRole, AppleIssuer, VendorChain } from './mdm/apple-cas.ts';
export { CHECKIN_TYPES, enrollmentIdOf, MAX_CHECKIN_BYTES, parseCheckinMessage } from './mdm/checkin-message.ts';
export type { CheckinMessage } from './mdm/checkin-message.ts';
export { parseCheckinWebhook } from './mdm/checkin-webhook.ts';
export type { CheckinWebhookEvent, WebhookFormat } from './mdm/checkin-webhook.ts';

// Push service clients. Both speak of outcomes and payload limits, so each module is also a
// namespace (`apns.Outcome`, `mpns.MAX_PAYLOAD_BYTES`), its contents named in its index.ts.
import * as apns from './apns/index.ts';
import * as mpns from './mpns/index.ts';
export { apns, mpns };
export { ApnsClient } from './apns/client.ts';
export type { ApnsClientOptions } from './apns/client.ts';
export { MpnsSender } from './mpns/sender.ts';
export type { MpnsSenderOptions } from './mpns/sender.ts';
export { checkMpnsCredential } from './mpns/credential-check.ts';
export { ChannelUriGuard } from './mpns/channel-uri-guard.ts';

// The vendor signer (a separate process) and its client.
export { startSignerServer } from './signer/server.ts';
export type { SignerServer, SignerServerOptions } from './signer/server.ts';
export { createSignerClient } from './signer/client.ts';
export type { SignerClient, SignerClientOptions } from './signer/client.ts';

// Webhook receivers verify certpush's signature with this.
export { verifyWebhookSignature } from './delivery/webhook-sender.ts';

// Simulators and test PKI: shipped for users' own integration tests.
export { startApnsSimulator } from './simulators/apns.ts';
export type { ApnsSimulator, ApnsSimulatorOptions } from './simulators/apns.ts';
export { mpnsSimulatorTls, startMpnsSimulator } from './simulators/mpns.ts';
export type { MpnsSimulator, MpnsSimulatorOptions } from './simulators/mpns.ts';
export { createTestPki, issueMdmPushCertificate, issueTestCertificate, readTestPki, TEST_MPNS_SERVICE_NAME, writeTestPki } from './simulators/test-pki.ts';
export type { PemIdentity, TestPki } from './simulators/test-pki.ts';
export { issuePushCertificate } from './simulators/apple-portal.ts';
export type { PortalResult } from './simulators/apple-portal.ts';
