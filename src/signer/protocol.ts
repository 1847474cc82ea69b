// The signer's HTTP contract, shared by the server and its client so that both speak one protocol.
import type { Finding } from '../pki/finding.ts';
import type { Problem } from '../problem-details.ts';

/** Routes of the signer service. */
export const SIGNER_PATHS = {
  sign: '/v1/sign',
  vendorCertificate: '/v1/vendor-certificate',
  health: '/healthz',
} as const;

/** The port `certpush signer serve` listens on unless told otherwise. */
export const SIGNER_DEFAULT_PORT = 8444;

/** Request bodies above this are refused (413): a 4096-bit CSR in JSON is under 3 KB. */
export const SIGNER_BODY_LIMIT = 64 * 1024;

/** Shortest token the signer accepts: a guessable token would expose the vendor signing key's use. */
export const SIGNER_MIN_TOKEN_LENGTH = 16;

/** `POST /v1/sign` body: the customer's CSR as PEM, or Base64 of its DER. */
export interface SignRequestBody {
  csr: string;
}

/** The vendor MDM signing certificate's expiry, as the service's expiry monitor reads it. */
export interface VendorCertificateStatus {
  subject: string;
  /** ISO 8601. */
  notAfter: string;
  daysLeft: number;
}

/** `POST /v1/sign` answer. */
export interface SignResponseBody {
  /** Base64 Push Certificate Request for Apple's Push Certificates Portal. */
  request: string;
  csrSubject: string;
  warnings: Finding[];
  vendorCertificate: VendorCertificateStatus;
}

/** Every error answer: the API's problem details (problem-details.ts), with the findings of a refusal. */
export type SignerProblem = Problem & { findings?: Finding[] };
