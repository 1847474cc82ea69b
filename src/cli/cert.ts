import type { Command } from 'commander';
import { appleCas, appleIssuerOf } from '../mdm/apple-cas.ts';
import type { Certificate } from '../pki/certificate.ts';
import { type InspectedItem, inspectFile } from '../pki/inspect.ts';
import { aboutInput, printJson, readInputFile, readSecretFile } from './io.ts';

/** `certpush cert …`: look inside certificate files. */
export function registerCert(program: Command): void {
  const cert = program.command('cert').description('Inspect certificates, CSRs, keys and PKCS#12 files.');
  cert.command('inspect')
    .description('Show what a file holds: certificates (subject, UID/topic, validity, usages, APNs environment), CSRs, keys (never their contents), PKCS#12.')
    .argument('<file>', 'PEM or DER certificate/CSR/key, or a .p12/.pfx')
    .option('--password-file <file>', 'password of a PKCS#12 file or passphrase of an encrypted key')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { passwordFile?: string; json?: boolean }) => {
      const password = opts.passwordFile ? readSecretFile(opts.passwordFile, '--password-file') : undefined;
      const items = await inspectFile(readInputFile(file, ''), { password, chainsTo: appleCaOf }).catch((error: unknown) => {
        throw aboutInput(error, file, '');
      });
      if (opts.json) printJson(items);
      else process.stdout.write(items.map(formatItem).join('\n'));
    });
}

/** "Apple Application Integration 2 Certification Authority → Apple Root CA" when the certificate chains to Apple's CAs. */
function appleCaOf(cert: Certificate, others: Certificate[]): string | null {
  if (appleCas().some((ca) => ca.certificate.fingerprintSha256 === cert.fingerprintSha256)) return `${cert.commonName ?? cert.subject.text} itself (an Apple CA built into certpush)`;
  const issuer = appleIssuerOf(cert, others);
  return issuer.apple ? `${issuer.issuer} → ${issuer.root} (Apple)` : null;
}

function formatItem(item: InspectedItem): string {
  const lines: string[] = [];
  const row = (label: string, value: unknown) => {
    if (value !== null && value !== undefined && !(Array.isArray(value) && value.length === 0)) lines.push(`  ${label.padEnd(20)} ${Array.isArray(value) ? value.join(', ') : String(value)}`);
  };
  if (item.kind === 'certificate') {
    const c = item.certificate;
    lines.push('Certificate');
    row('subject', c.subject);
    row('issuer', c.issuer);
    row('common name', c.commonName);
    row('UID (push topic)', c.uid);
    row('serial', c.serialNumber);
    row('valid from', c.notBefore);
    row('valid until', `${c.notAfter} (${c.validity}, ${c.daysLeft} days left)`);
    row('SHA-256', c.fingerprintSha256);
    row('key', `${c.publicKey.type.toUpperCase()} ${c.publicKey.bits ?? c.publicKey.curve ?? ''}`.trim());
    row('signature', c.signatureAlgorithm);
    row('CA', c.isCa ? 'yes' : null);
    row('key usage', c.keyUsage);
    row('extended key usage', c.extendedKeyUsage);
    row('subject key id', c.subjectKeyId);
    row('authority key id', c.authorityKeyId);
    row('APNs environment', c.apnsEnvironments);
    row('chains to', item.chainsTo ?? 'no Apple CA');
    if (item.matchesKey !== undefined) row('matches key', item.matchesKey ? 'yes' : 'NO');
  } else if (item.kind === 'csr') {
    lines.push('Certificate signing request');
    row('subject', item.subject);
    row('key', `${item.publicKey.type.toUpperCase()} ${item.publicKey.bits ?? ''}`.trim());
    row('signature', `${item.signatureAlgorithm} (${item.signatureValid ? 'valid' : 'INVALID'})`);
    if (item.matchesKey !== undefined) row('matches key', item.matchesKey ? 'yes' : 'NO');
  } else {
    lines.push('Private key (contents not shown)');
    row('type', `${item.type.toUpperCase()} ${item.bits ?? item.curve ?? ''}`.trim());
  }
  return `${lines.join('\n')}\n`;
}
