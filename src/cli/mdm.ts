import type { Command } from 'commander';
import { isCertpushError } from '../errors.ts';
import { signPushCertRequest, verifyPushCertRequest } from '../mdm/push-cert-request.ts';
import { parseCertificate } from '../pki/certificate.ts';
import { parseCsr } from '../pki/csr.ts';
import type { Finding } from '../pki/finding.ts';
import type { MdmCertView } from '../service/mdm-push-cert.ts';
import { checking, EXIT_FOUND_WANTING } from './exit-codes.ts';
import { aboutInput, parseInputFile, printJson, readInputFile, readSecretFile, writeOutput } from './io.ts';
import { localStoreOptions, openTenantAccess, type TenantAccess, withAccess } from './tenant-access.ts';
import { type VendorIdentityFlags, vendorIdentity, vendorIdentityOptions } from './vendor-identity.ts';

interface VendorSignOptions extends VendorIdentityFlags {
  csr: string;
  intermediate?: string;
  root?: string;
  out?: string;
  json?: boolean;
}

/** `certpush mdm …`: the MDM push-certificate workflow. */
export function registerMdm(program: Command): void {
  const mdm = program.command('mdm').description('Apple MDM push certificates: vendor signing, request verification, and the customer\'s CSR, import and status.');

  vendorIdentityOptions(mdm.command('vendor-sign'))
    .description('Sign a customer\'s CSR with the vendor MDM signing certificate and write the Base64 Push Certificate Request for Apple\'s portal. Checks the CSR, the vendor identity and the chain first: exit 0 when signed (warnings, e.g. a SHA-1 CSR, printed), 2 when a check refused it, 1 when an input cannot be read.')
    .requiredOption('--csr <file>', 'the customer\'s CSR (PEM or DER)')
    .option('--intermediate <file>', 'the WWDR intermediate that issued the vendor certificate (default: chosen from Apple\'s built-in WWDR CAs G2–G6; give it for a test PKI)')
    .option('--root <file>', 'the root above the intermediate (default: the built-in Apple root that issued it)')
    .option('--out <file>', 'write the request here instead of stdout')
    .option('--json', 'print a JSON summary (the request included) on stdout')
    .action(async (opts: VendorSignOptions) => {
      // Read (and parse) every input first, so an unreadable one is named (exit 1); what the
      // signing checks refuse after that is a verdict on the material (exit 2).
      const input = {
        csr: parseInputFile(opts.csr, '--csr', parseCsr).der,
        vendor: vendorIdentity(opts),
        intermediate: opts.intermediate ? parseInputFile(opts.intermediate, '--intermediate', parseCertificate) : undefined,
        root: opts.root ? parseInputFile(opts.root, '--root', parseCertificate) : undefined,
      };
      const signed = await checking(() => signPushCertRequest(input));
      if (opts.out) writeOutput(opts.out, `${signed.request}\n`);
      if (opts.json) {
        printJson({ request: signed.request, csrSubject: signed.csr.subject.text, vendorCertificate: signed.vendorCertificate, warnings: signed.warnings, out: opts.out ?? null });
        return;
      }
      if (!opts.out) writeOutput(undefined, `${signed.request}\n`);
      process.stderr.write(signed.warnings.map(formatFinding).join(''));
      process.stderr.write(`Signed the CSR for "${signed.csr.subject.text}" with "${signed.vendorCertificate.subject}" (valid ${signed.vendorCertificate.daysLeft} more days).\n`);
      if (opts.out) process.stderr.write(`Wrote ${opts.out}: the customer uploads it at https://identity.apple.com/pushcert\n`);
    });

  tenantCommand(mdm, 'csr', 'Generate the tenant\'s key (kept inside certpush) and CSR; prints the CSR PEM. With an active certificate this starts a renewal.')
    .option('--email <address>', 'contact e-mail in the CSR subject')
    .option('--org <name>', 'organization in the CSR subject')
    .option('--country <CC>', 'two-letter country code in the CSR subject')
    .option('--out <file>', 'write the CSR here instead of stdout')
    .action(async (opts: TenantFlags & { email?: string; org?: string; country?: string; out?: string }) => {
      const view = await withTenant(opts, (access) => access.createCsr({ email: opts.email, org: opts.org, country: opts.country }));
      writeOutput(opts.out, view.pendingCsr ?? '');
      process.stderr.write(`${view.state === 'renewing' ? 'Renewal CSR' : 'CSR'} created for tenant ${opts.tenant}. Next: have your MDM vendor sign it (certpush mdm vendor-sign), then upload the request to https://identity.apple.com/pushcert.\n`);
    });

  tenantCommand(mdm, 'import-cert', 'Import the MDM push certificate Apple issued (PEM, DER, or PKCS#12 with --password-file); checks its key, its topic and, on renewal, that the topic is unchanged.')
    .argument('<file>', 'the certificate from Apple\'s Push Certificates Portal')
    .option('--password-file <file>', 'password of a PKCS#12 file')
    .option('--force', 'replace the certificate even if its topic differs (enrolled devices will stop answering)')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: TenantFlags & { passwordFile?: string; force?: boolean; json?: boolean }) => {
      const data = readInputFile(file, '');
      const password = opts.passwordFile ? readSecretFile(opts.passwordFile, '--password-file') : undefined;
      const view = await withTenant(opts, (access) => access.importCert({ data, password, force: opts.force })).catch((error: unknown) => {
        // What is wrong with the certificate file names it; tenant and server errors do not.
        if (isCertpushError(error, 'P12_PASSWORD_REQUIRED')) throw aboutInput(error, file, '', 'the file is a PKCS#12 (.p12) protected by a password: give it with --password-file FILE.');
        throw isCertpushError(error) && CERTIFICATE_FILE_CODES.test(error.code) ? aboutInput(error, file, '') : error;
      });
      process.stderr.write((view.warnings ?? []).map((w) => formatFinding({ ...w, severity: 'warning' })).join(''));
      printView(view, opts.json);
    });

  tenantCommand(mdm, 'status', 'Show the tenant\'s MDM push certificate: state, topic, expiry.')
    .option('--json', 'print JSON')
    .action(async (opts: TenantFlags & { json?: boolean }) => {
      printView(await withTenant(opts, (access) => access.status()), opts.json);
    });

  mdm.command('verify-request')
    .description('Check a Push Certificate Request as Apple\'s portal would. Exit 0 when it is valid (warnings printed), 2 when it is not.')
    .argument('<file>', 'the Base64 request (or its XML plist)')
    .option('--root <file>', 'the root the chain must end at, replacing Apple\'s built-in roots (e.g. a test PKI\'s apple-root.pem)')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { root?: string; json?: boolean }) => {
      const report = await verifyPushCertRequest(readInputFile(file, ''), { root: opts.root ? parseInputFile(opts.root, '--root', parseCertificate) : undefined });
      if (opts.json) {
        printJson({ valid: report.valid, findings: report.findings, csrSubject: report.csr?.subject.text ?? null, chain: report.chain.map((c) => c.subject.text) });
      } else {
        if (report.csr) process.stdout.write(`CSR:   ${report.csr.subject.text} (${report.csr.publicKey.type.toUpperCase()} ${report.csr.publicKey.bits ?? ''})\n`);
        report.chain.forEach((c, i) => process.stdout.write(`chain ${i + 1}: ${c.subject.text} (until ${c.notAfter.toISOString().slice(0, 10)})\n`));
        process.stdout.write(report.findings.map(formatFinding).join(''));
        process.stdout.write(report.valid ? 'valid: Apple\'s portal should accept this request\n' : `invalid: ${report.findings.filter((f) => f.severity === 'error').length} problem(s)\n`);
      }
      if (!report.valid) process.exitCode = EXIT_FOUND_WANTING;
    });
}

/** Codes of errors about the certificate file itself (its format, password, key, contents). */
const CERTIFICATE_FILE_CODES = /^(PUSH_CERT_|P12_|PEM_|CERT_|KEY_|KDF_)/;

interface TenantFlags {
  tenant: string;
  server?: string;
  apiKeyFile?: string;
  dataDir?: string;
  databaseUrl?: string;
}

/** Options shared by the customer-side commands: which tenant, and where certpush is. */
function tenantCommand(mdm: Command, name: string, description: string): Command {
  return localStoreOptions(mdm.command(name).description(description)
    .requiredOption('--tenant <id>', 'the tenant (ten_…)')
    .option('--server <url>', 'a running certpush (give this or --data-dir)')
    .option('--api-key-file <file>', 'API key for --server (or CERTPUSH_API_KEY)'));
}

function withTenant<T>(flags: TenantFlags, run: (access: TenantAccess) => Promise<T>): Promise<T> {
  return withAccess(openTenantAccess(flags), run);
}

function printView(view: MdmCertView, json: boolean | undefined): void {
  if (json) return printJson(view);
  process.stdout.write(`state:      ${view.state}\n`);
  if (view.topic) process.stdout.write(`topic:      ${view.topic}\n`);
  if (view.notAfter) process.stdout.write(`expires:    ${view.notAfter} (${view.daysLeft} days left)\n`);
  if (view.requiredTopic) process.stdout.write(`renewal must keep topic ${view.requiredTopic}\n`);
}


/** A finding as printed; a server's findings may carry codes this CLI's catalogue does not know. */
function formatFinding(f: Pick<Finding, 'severity' | 'message'> & { code: string }): string {
  return `${f.severity === 'error' ? 'error' : 'warning'}: ${f.message} [${f.code}]\n`;
}
