// certpush's public library surface. Everything here is also what the CLI and service use.
export { CertpushError, isCertpushError } from './errors.ts';
export * from './pki/index.ts';

// MDM push certificates: vendor signing and verification, import rules.
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

// Push service clients. Both speak of outcomes and payload limits, so each is also a namespace.
export * as apns from './apns/index.ts';
export * as mpns from './mpns/index.ts';
export { ApnsClient } from './apns/client.ts';
export type { ApnsClientOptions } from './apns/client.ts';
export { MpnsSender } from './mpns/sender.ts';
export type { MpnsSenderOptions } from './mpns/sender.ts';
export { checkMpnsCredential } from './mpns/credential-check.ts';
export { ChannelUriGuard } from './mpns/channel-uri-guard.ts';

// The vendor signer (a separate process) and its client.
export { startSignerServer } from './signer/server.ts';
export { createSignerClient } from './signer/client.ts';

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
