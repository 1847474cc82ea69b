import type { KeyObject } from 'node:crypto';
import tls from 'node:tls';
import type { Command } from 'commander';
import { CertpushError, isCertpushError } from '../errors.ts';
import { checkMpnsCredential, type MpnsCredentialReport } from '../mpns/credential-check.ts';
import { type Certificate, parseCertificate, parseCertificates } from '../pki/certificate.ts';
import { type Finding, warning } from '../pki/finding.ts';
import { keyMatchesSpki, parsePrivateKey } from '../pki/key.ts';
import { looksLikePem, parsePem, toPem } from '../pki/pem.ts';
import { looksLikePkcs12, readPkcs12 } from '../pki/pkcs12.ts';
import { EXIT_FOUND_WANTING } from './exit-codes.ts';
import { aboutInput, parseInputFile, printJson, readInputFile, readSecretFile } from './io.ts';

const KEY_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'ENCRYPTED PRIVATE KEY']);

interface ServiceCredential {
  certificate: Certificate;
  chain: Certificate[];
  key: KeyObject | null;
}

/**
 * The web service's certificate (and key, when there is one) from a PEM file (certificate,
 * chain, maybe key), a DER certificate or a PKCS#12 bundle. With a key, the leaf is the
 * certificate that matches it; otherwise the first non-CA certificate.
 */
function readServiceCredential(bytes: Buffer, options: { keyBytes?: Buffer; password?: string }): ServiceCredential {
  let certificates: Certificate[];
  let key: KeyObject | null = null;
  if (looksLikePem(bytes)) {
    certificates = parseCertificates(bytes);
    const keyBlock = parsePem(bytes).find((b) => KEY_LABELS.has(b.label));
    if (keyBlock) key = parsePrivateKey(toPem(keyBlock.label, keyBlock.der), options.password);
  } else if (looksLikePkcs12(bytes)) {
    const contents = readPkcs12(bytes, options.password ?? '');
    certificates = contents.certificates;
    key = contents.privateKey;
  } else {
    certificates = [parseCertificate(bytes)];
  }
  if (options.keyBytes) key = parsePrivateKey(options.keyBytes, options.password);
  if (certificates.length === 0) throw new CertpushError('MPNS_NO_CERTIFICATE', 'The file holds no certificate. Pass the web service\'s certificate (PEM, DER or PKCS#12).');
  const leaf = (key ? certificates.find((c) => keyMatchesSpki(key, c.publicKey.spki)) : undefined)
    ?? certificates.find((c) => !c.isCa)
    ?? certificates[0]!;
  return { certificate: leaf, chain: certificates.filter((c) => c !== leaf), key };
}

function printReport(report: MpnsCredentialReport): void {
  const lines = [
    'MPNS authenticated web service certificate',
    `  subject:       ${report.subject}`,
    `  issuer:        ${report.issuer}`,
    `  Service Name:  ${report.serviceName ?? '(none: the certificate has no CN)'}`,
    ...(report.appUsage ? [`  in the app:    ${report.appUsage}`] : []),
    `  valid until:   ${report.notAfter} (${report.daysLeft >= 0 ? `${report.daysLeft} days left` : `expired ${-report.daysLeft} days ago`})`,
    `  extended key usage: ${report.extendedKeyUsage.join(', ') || '(none)'}`,
    `  chain:         ${report.chain.join('  →  ')}${report.root ? '  (allowed root)' : ''}`,
    '',
    ...report.findings.map((f) => `${f.severity === 'error' ? 'error' : 'warning'} [${f.code}] ${f.message}`),
    report.passed
      ? `PASS: this certificate can authenticate the web service; open the app's channel with Service Name "${report.serviceName}".`
      : `FAIL: ${report.findings.filter((f) => f.severity === 'error').length} problem(s) to fix before MPNS accepts this certificate.`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** `certpush mpns …`: checks for the authenticated MPNS web service. */
export function registerMpns(program: Command): void {
  const mpns = program.command('mpns').description('Microsoft Push Notification Service: credential checks.');

  mpns.command('check-cert')
    .description('Check a certificate for the authenticated MPNS web service: clientAuth, chains to an allowed Windows Phone root, valid now; prints its Service Name (the subject CN). Exit 0 when it passes, 2 when it does not.')
    .argument('<file>', 'the certificate: PEM (optionally with chain and key), DER, or PKCS#12 (.pfx/.p12)')
    .option('--roots <file>', 'PEM bundle of the allowed roots ("SSL root certificates for Windows Phone OS 7.1"); default: Node\'s built-in roots, as an approximation')
    .option('--key <file>', 'the private key (PEM/DER), to check that it belongs to the certificate')
    .option('--password-file <file>', 'file holding the PKCS#12 password or the key\'s passphrase')
    .option('--json', 'print the report as JSON')
    .action((file: string, opts: { roots?: string; key?: string; passwordFile?: string; json?: boolean }) => {
      const password = opts.passwordFile !== undefined ? readSecretFile(opts.passwordFile, '--password-file') : undefined;
      const bytes = readInputFile(file, '');
      if (looksLikePkcs12(bytes) && password === undefined) {
        throw new CertpushError('P12_PASSWORD_REQUIRED', `${file}: the file is a PKCS#12 (.pfx/.p12) file: give its password with --password-file FILE.`);
      }
      const keyBytes = opts.key !== undefined ? readInputFile(opts.key, '--key') : undefined;
      let credential: ServiceCredential;
      try {
        credential = readServiceCredential(bytes, { keyBytes, password });
      } catch (error) {
        // The key's own errors name --key; everything else is about the certificate file.
        throw keyBytes && isCertpushError(error) && error.code.startsWith('KEY_') ? aboutInput(error, opts.key!, '--key') : aboutInput(error, file, '');
      }
      const extra: Finding[] = [];
      let roots: Certificate[];
      if (opts.roots !== undefined) {
        roots = parseInputFile(opts.roots, '--roots', parseCertificates);
      } else {
        roots = tls.rootCertificates.map((pem) => parseCertificate(pem));
        extra.push(warning('MPNS_ROOTS_APPROXIMATE', 'No --roots given: the chain was checked against Node\'s built-in (Mozilla) roots, which are not exactly the "SSL root certificates for Windows Phone OS 7.1". Pass that list as a PEM bundle with --roots for a definite answer.'));
      }
      const report = checkMpnsCredential({ certificate: credential.certificate, chain: credential.chain, roots });
      if (credential.key && !keyMatchesSpki(credential.key, credential.certificate.publicKey.spki)) {
        report.findings.push({ code: 'KEY_MISMATCH', severity: 'error', message: `The private key does not belong to the certificate "${credential.certificate.subject.text}". Use the key generated with this certificate's CSR.` });
        report.passed = false;
      }
      report.findings.push(...extra);
      if (opts.json) printJson(report);
      else printReport(report);
      if (!report.passed) process.exitCode = EXIT_FOUND_WANTING;
    });
}
