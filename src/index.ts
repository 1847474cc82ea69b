// certpush's public library surface. Everything here is also what the CLI and service use.
export { CertpushError, isCertpushError } from './errors.ts';
export * from './pki/index.ts';
export { FindingsError, signPushCertRequest, verifyPushCertRequest, REQUIRED_CSR_KEY_BITS, VENDOR_EXPIRY_WARNING_DAYS } from './mdm/push-cert-request.ts';
export type { SignedRequest, SignInput, VerifyOptions, VerifyReport } from './mdm/push-cert-request.ts';
export { REQUEST_KEYS } from './mdm/request-plist.ts';
export { createTestPki, issueMdmPushCertificate, issueTestCertificate, MDM_TOPIC_PREFIX, readTestPki, TEST_MPNS_SERVICE_NAME, writeTestPki } from './simulators/test-pki.ts';
export type { PemIdentity, TestPki } from './simulators/test-pki.ts';
export { issuePushCertificate } from './simulators/apple-portal.ts';
