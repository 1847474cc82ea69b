import type { Command } from 'commander';
import { CertpushError } from '../errors.ts';
import { signPushCertRequest, verifyPushCertRequest } from '../mdm/push-cert-request.ts';
import { parseCertificate } from '../pki/certificate.ts';
import type { Finding } from '../pki/finding.ts';
import { type IdentitySource, loadIdentity } from '../pki/identity.ts';
import { printJson, readInputFile, readSecretFile, writeOutput } from './io.ts';

interface VendorSignOptions {
  csr: string;
  vendorCert?: string;
  vendorKey?: string;
  vendorP12?: string;
  passphraseFile?: string;
  intermediate: string;
  root: string;
  out?: string;
  json?: boolean;
}

/** `certpush mdm …`: the MDM push-certificate workflow. */
export function registerMdm(program: Command): void {
  const mdm = program.command('mdm').description('Apple MDM push certificates: vendor signing and request verification.');

  mdm.command('vendor-sign')
    .description('Sign a customer\'s CSR with the vendor MDM signing certificate and write the Base64 Push Certificate Request for Apple\'s portal. Checks the CSR, the vendor identity and the chain first.')
    .requiredOption('--csr <file>', 'the customer\'s CSR (PEM or DER)')
    .option('--vendor-cert <file>', 'vendor MDM signing certificate (PEM or DER)')
    .option('--vendor-key <file>', 'its private key (PEM or DER; PKCS#1, PKCS#8 or encrypted PKCS#8)')
    .option('--vendor-p12 <file>', 'vendor certificate and key as PKCS#12 instead')
    .option('--passphrase-file <file>', 'passphrase of the encrypted key, or the PKCS#12 password')
    .requiredOption('--intermediate <file>', 'Apple WWDR intermediate certificate (AppleWWDRCAG3.cer)')
    .requiredOption('--root <file>', 'Apple root certificate (AppleIncRootCertificate.cer)')
    .option('--out <file>', 'write the request here instead of stdout')
    .option('--json', 'print a JSON summary (the request included) on stdout')
    .action(async (opts: VendorSignOptions) => {
      const signed = await signPushCertRequest({
        csr: readInputFile(opts.csr, '--csr'),
        vendor: loadIdentity(vendorSource(opts)),
        intermediate: parseCertificate(readInputFile(opts.intermediate, '--intermediate')),
        root: parseCertificate(readInputFile(opts.root, '--root')),
      });
      if (opts.out) writeOutput(opts.out, `${signed.request}\n`);
      if (opts.json) {
        printJson({ request: signed.request, csrSubject: signed.csr.subject.text, vendorCertificate: signed.vendorCertificate, warnings: signed.warnings, out: opts.out ?? null });
        return;
      }
      if (!opts.out) writeOutput(undefined, `${signed.request}\n`);
      for (const w of signed.warnings) process.stderr.write(`warning: ${w.message}\n`);
      process.stderr.write(`Signed the CSR for "${signed.csr.subject.text}" with "${signed.vendorCertificate.subject}" (valid ${signed.vendorCertificate.daysLeft} more days).\n`);
      if (opts.out) process.stderr.write(`Wrote ${opts.out}: the customer uploads it at https://identity.apple.com/pushcert\n`);
    });

  mdm.command('verify-request')
    .description('Check a Push Certificate Request as Apple\'s portal would; exit 0 only when it is valid.')
    .argument('<file>', 'the Base64 request (or its XML plist)')
    .requiredOption('--root <file>', 'the Apple root certificate the chain must end at')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { root: string; json?: boolean }) => {
      const report = await verifyPushCertRequest(readInputFile(file, 'FILE'), { root: parseCertificate(readInputFile(opts.root, '--root')) });
      if (opts.json) {
        printJson({ valid: report.valid, findings: report.findings, csrSubject: report.csr?.subject.text ?? null, chain: report.chain.map((c) => c.subject.text) });
      } else {
        if (report.csr) process.stdout.write(`CSR:   ${report.csr.subject.text} (${report.csr.publicKey.type.toUpperCase()} ${report.csr.publicKey.bits ?? ''})\n`);
        report.chain.forEach((c, i) => process.stdout.write(`chain ${i + 1}: ${c.subject.text} (until ${c.notAfter.toISOString().slice(0, 10)})\n`));
        process.stdout.write(report.findings.map(formatFinding).join(''));
        process.stdout.write(report.valid ? 'valid: Apple\'s portal should accept this request\n' : `invalid: ${report.findings.filter((f) => f.severity === 'error').length} problem(s)\n`);
      }
      process.exitCode = report.valid ? 0 : 1;
    });
}

function vendorSource(opts: VendorSignOptions): IdentitySource {
  const passphrase = opts.passphraseFile ? readSecretFile(opts.passphraseFile, '--passphrase-file') : undefined;
  if (opts.vendorP12) {
    if (opts.vendorCert || opts.vendorKey) throw new CertpushError('CLI_USAGE', 'Give either --vendor-p12, or --vendor-cert with --vendor-key, not both.');
    return { pkcs12: readInputFile(opts.vendorP12, '--vendor-p12'), password: passphrase ?? '' };
  }
  if (!opts.vendorCert || !opts.vendorKey) {
    throw new CertpushError('CLI_USAGE', 'The vendor identity is missing: give --vendor-cert and --vendor-key, or --vendor-p12 (with --passphrase-file).');
  }
  return { cert: readInputFile(opts.vendorCert, '--vendor-cert'), key: readInputFile(opts.vendorKey, '--vendor-key'), passphrase };
}

function formatFinding(f: Finding): string {
  return `${f.severity === 'error' ? 'error' : 'warning'}: ${f.message} [${f.code}]\n`;
}
