import crypto, { type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CertpushError } from '../errors.ts';
import { MDM_TOPIC_PREFIX } from '../mdm/push-cert-import.ts';
import { APNS_ENVIRONMENT_OIDS, type ApnsEnvironment, type Certificate, certificateToPem, parseCertificate } from '../pki/certificate.ts';
import { issueCertificate } from '../pki/issue.ts';
import { generateRsaKey, parsePrivateKey, privateKeyToPem } from '../pki/key.ts';

/** A certificate and its private key, both PEM (key: unencrypted PKCS#8). */
export interface PemIdentity {
  cert: string;
  key: string;
}

/**
 * A complete stand-in PKI for tests, the demo and users' own integration tests. Nothing
 * here is trusted by real Apple or Microsoft services: every name says "certpush test".
 */
export interface TestPki {
  /** Stands for "Apple Root CA" (self-signed). */
  appleRoot: PemIdentity;
  /** Stands for Apple's WWDR intermediate (G3), under appleRoot. */
  wwdr: PemIdentity;
  /** The MDM vendor's signing identity ("MDM CSR" certificate), under wwdr. */
  vendor: PemIdentity;
  /** Stands for "Apple Application Integration" CA: issues MDM push certificates, under appleRoot. */
  pushCa: PemIdentity;
  /** Root CA of the simulators' TLS server certificate; clients trust it explicitly. */
  serverCa: PemIdentity;
  /** TLS server certificate for localhost, 127.0.0.1 and ::1. */
  server: PemIdentity;
  /** Stands for one of the "SSL root certificates for Windows Phone OS 7.1". */
  mpnsRoot: PemIdentity;
  /** An MPNS web service client certificate (clientAuth) under mpnsRoot. */
  mpnsClient: PemIdentity;
}

/** File names in a test PKI directory: `<name>.pem` (certificate) and `<name>.key` (key). */
export const TEST_PKI_FILES: Record<keyof TestPki, string> = {
  appleRoot: 'apple-root',
  wwdr: 'wwdr',
  vendor: 'vendor',
  pushCa: 'push-ca',
  serverCa: 'server-ca',
  server: 'server',
  mpnsRoot: 'mpns-root',
  mpnsClient: 'mpns-client',
};

/** The MPNS Service Name of the test client certificate (its subject CN). */
export const TEST_MPNS_SERVICE_NAME = 'certpush-test-service';

// The MDM topic prefix lives with the import rules that check it; re-exported for existing imports.
export { MDM_TOPIC_PREFIX };

const DAY = 86_400_000;

interface Issued {
  certificate: Certificate;
  privateKey: KeyObject;
}

function toPemIdentity(issued: Issued): PemIdentity {
  return { cert: certificateToPem(issued.certificate), key: privateKeyToPem(issued.privateKey) };
}

function fromPemIdentity(identity: PemIdentity): Issued {
  return { certificate: parseCertificate(identity.cert), privateKey: parsePrivateKey(identity.key) };
}

async function root(cn: string, notBefore: Date, years: number): Promise<Issued> {
  const privateKey = generateRsaKey();
  const certificate = await issueCertificate({
    subject: { CN: cn, OU: 'certpush test', O: 'certpush test PKI', C: 'US' },
    publicKey: privateKey,
    selfSigningKey: privateKey,
    notBefore,
    notAfter: new Date(notBefore.getTime() + years * 365 * DAY),
    isCa: true,
    keyUsage: ['keyCertSign', 'cRLSign'],
  });
  return { certificate, privateKey };
}

async function intermediate(issuer: Issued, cn: string, notBefore: Date, years: number): Promise<Issued> {
  const privateKey = generateRsaKey();
  const certificate = await issueCertificate({
    subject: { CN: cn, OU: 'certpush test', O: 'certpush test PKI', C: 'US' },
    publicKey: privateKey,
    issuer,
    notBefore,
    notAfter: new Date(notBefore.getTime() + years * 365 * DAY),
    isCa: true,
    pathLength: 0,
    keyUsage: ['keyCertSign', 'cRLSign'],
  });
  return { certificate, privateKey };
}

/**
 * Create a fresh test PKI: Apple-side root, WWDR intermediate, vendor MDM signing identity and
 * push-certificate CA; a TLS server identity for the simulators; an MPNS root and client.
 */
export async function createTestPki(options: { now?: Date } = {}): Promise<TestPki> {
  // Backdate a little so that clocks a few minutes apart still agree the PKI is valid.
  const notBefore = new Date((options.now ?? new Date()).getTime() - 60 * 60_000);
  const appleRoot = await root('certpush test Apple Root CA', notBefore, 20);
  const wwdr = await intermediate(appleRoot, 'certpush test Apple Worldwide Developer Relations Certification Authority', notBefore, 10);
  const pushCa = await intermediate(appleRoot, 'certpush test Apple Application Integration Certification Authority', notBefore, 10);
  const vendorKey = generateRsaKey();
  const vendor = {
    privateKey: vendorKey,
    certificate: await issueCertificate({
      subject: { UID: 'com.example.certpush-test.mdm-vendor', CN: 'MDM Vendor: certpush test vendor', OU: 'TESTVENDOR', O: 'certpush test vendor', C: 'US' },
      publicKey: vendorKey,
      issuer: wwdr,
      notBefore,
      notAfter: new Date(notBefore.getTime() + 365 * DAY),
      keyUsage: ['digitalSignature'],
      extendedKeyUsage: ['codeSigning'],
    }),
  };
  const serverCa = await root('certpush test TLS Root CA', notBefore, 10);
  const serverKey = generateRsaKey();
  const server = {
    privateKey: serverKey,
    certificate: await issueCertificate({
      subject: { CN: 'localhost', O: 'certpush test PKI' },
      publicKey: serverKey,
      issuer: serverCa,
      notBefore,
      notAfter: new Date(notBefore.getTime() + 2 * 365 * DAY),
      keyUsage: ['digitalSignature', 'keyEncipherment'],
      extendedKeyUsage: ['serverAuth'],
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1', '::1'],
    }),
  };
  const mpnsRoot = await root('certpush test Windows Phone Root CA', notBefore, 20);
  const mpnsClient = fromPemIdentity(await issueTestCertificate(toPemIdentity(mpnsRoot), {
    commonName: TEST_MPNS_SERVICE_NAME,
    extendedKeyUsage: ['clientAuth'],
    notBefore,
    notAfter: new Date(notBefore.getTime() + 365 * DAY),
  }));
  return {
    appleRoot: toPemIdentity(appleRoot),
    wwdr: toPemIdentity(wwdr),
    vendor: toPemIdentity(vendor),
    pushCa: toPemIdentity(pushCa),
    serverCa: toPemIdentity(serverCa),
    server: toPemIdentity(server),
    mpnsRoot: toPemIdentity(mpnsRoot),
    mpnsClient: toPemIdentity(mpnsClient),
  };
}

/**
 * Issue a certificate signed by `issuer`: for tests that need a serverAuth-only, expired,
 * CA, or foreign-root certificate. A new RSA key is made unless `publicKey` is given.
 */
export async function issueTestCertificate(issuer: PemIdentity, options: {
  commonName: string;
  extendedKeyUsage?: Array<'clientAuth' | 'serverAuth'>;
  notBefore?: Date;
  notAfter?: Date;
  isCa?: boolean;
  publicKey?: KeyObject;
}): Promise<PemIdentity> {
  const privateKey = options.publicKey ? null : generateRsaKey();
  const notBefore = options.notBefore ?? new Date(Date.now() - 60 * 60_000);
  const certificate = await issueCertificate({
    subject: { CN: options.commonName, O: 'certpush test PKI' },
    publicKey: options.publicKey ?? privateKey!,
    issuer: fromPemIdentity(issuer),
    notBefore,
    notAfter: options.notAfter ?? new Date(notBefore.getTime() + 365 * DAY),
    isCa: options.isCa ?? false,
    keyUsage: options.isCa ? ['keyCertSign', 'cRLSign'] : ['digitalSignature', 'keyEncipherment'],
    extendedKeyUsage: options.extendedKeyUsage,
  });
  return { cert: certificateToPem(certificate), key: privateKey ? privateKeyToPem(privateKey) : '' };
}

/**
 * Issue an MDM push certificate as Apple's portal does, for a public key: subject
 * `UID=<topic>, CN=APSP:<uuid>`, clientAuth, the APNs environment marker(s), valid one year.
 * The topic is `com.apple.mgmt.External.<uuid>` unless given (renewals keep it).
 */
export async function issueMdmPushCertificate(pki: TestPki, options: {
  publicKey: KeyObject;
  topic?: string;
  environments?: ApnsEnvironment[];
  notBefore?: Date;
  notAfter?: Date;
}): Promise<{ cert: string; topic: string }> {
  const topic = options.topic ?? `${MDM_TOPIC_PREFIX}${crypto.randomUUID()}`;
  const notBefore = options.notBefore ?? new Date(Date.now() - 60_000);
  const certificate = await issueCertificate({
    subject: { UID: topic, CN: `APSP:${topic.slice(MDM_TOPIC_PREFIX.length) || crypto.randomUUID()}`, C: 'US' },
    publicKey: options.publicKey,
    issuer: fromPemIdentity(pki.pushCa),
    notBefore,
    notAfter: options.notAfter ?? new Date(notBefore.getTime() + 365 * DAY),
    keyUsage: ['digitalSignature', 'keyEncipherment'],
    extendedKeyUsage: ['clientAuth'],
    markerExtensions: (options.environments ?? ['production']).map((env) => APNS_ENVIRONMENT_OIDS[env]),
  });
  return { cert: certificateToPem(certificate), topic };
}

const README = `certpush test PKI — for tests and simulators only; trusted by nothing real.

  apple-root.pem/.key   stands for Apple Root CA (trust anchor for vendor-sign / verify-request)
  wwdr.pem/.key         stands for the Apple WWDR intermediate (G3)
  vendor.pem/.key       the MDM vendor signing identity (certpush mdm vendor-sign --vendor-cert/--vendor-key)
  push-ca.pem/.key      stands for Apple Application Integration CA: issues MDM push certificates
  server-ca.pem/.key    root of the simulators' TLS certificate: clients pass it as --ca
  server.pem/.key       the simulators' TLS server certificate (localhost, 127.0.0.1, ::1)
  mpns-root.pem/.key    stands for an allowed Windows Phone SSL root (--roots)
  mpns-client.pem/.key  MPNS web service client certificate, Service Name "${TEST_MPNS_SERVICE_NAME}"
`;

/** Write a test PKI to `dir` (created if needed); keys get mode 0600. */
export function writeTestPki(dir: string, pki: TestPki): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [entry, name] of Object.entries(TEST_PKI_FILES) as Array<[keyof TestPki, string]>) {
    fs.writeFileSync(path.join(dir, `${name}.pem`), pki[entry].cert);
    fs.writeFileSync(path.join(dir, `${name}.key`), pki[entry].key, { mode: 0o600 });
  }
  fs.writeFileSync(path.join(dir, 'README.txt'), README);
}

/** Read a test PKI written by writeTestPki (or `certpush simulate pki --out DIR`). */
export function readTestPki(dir: string): TestPki {
  const pki = {} as TestPki;
  for (const [entry, name] of Object.entries(TEST_PKI_FILES) as Array<[keyof TestPki, string]>) {
    try {
      pki[entry] = {
        cert: fs.readFileSync(path.join(dir, `${name}.pem`), 'utf8'),
        key: fs.readFileSync(path.join(dir, `${name}.key`), 'utf8'),
      };
    } catch {
      throw new CertpushError('TEST_PKI_INCOMPLETE', `${dir} is not a complete test PKI (${name}.pem or ${name}.key is missing). Create one with "certpush simulate pki --out ${dir}".`);
    }
  }
  return pki;
}
