import type { Command } from 'commander';
import { CertpushError } from '../errors.ts';
import type { Identity } from '../pki/identity.ts';
import { hiddenAlias } from './hidden-alias.ts';
import { identityFromFiles } from './identity-files.ts';

/** The vendor signing identity as given on the command line. */
export interface VendorIdentityFlags {
  vendorCert?: string;
  vendorKey?: string;
  p12?: string;
  passwordFile?: string;
}

/**
 * Add the vendor identity options (shared by `mdm vendor-sign` and `signer serve`). The PKCS#12
 * is `--p12` as in every command; the PEM pair keeps its `--vendor-` prefix because vendor-sign
 * also reads the customer's CSR, and "--cert" there would not say whose certificate it is.
 */
export function vendorIdentityOptions(command: Command): Command {
  command
    .option('--vendor-cert <file>', 'vendor MDM signing certificate (PEM or DER)')
    .option('--vendor-key <file>', 'its private key (PEM or DER; PKCS#1, PKCS#8 or encrypted PKCS#8)')
    .option('--p12 <file>', 'vendor certificate and key as one PKCS#12 (.p12/.pfx) instead')
    .option('--password-file <file>', 'file holding the PKCS#12 password or the key\'s passphrase (first line)');
  hiddenAlias(command, '--vendor-p12 <file>', 'p12');
  return hiddenAlias(command, '--passphrase-file <file>', 'passwordFile');
}

/** Read the files the flags name: a PKCS#12, or a certificate and key. */
export function vendorIdentity(flags: VendorIdentityFlags): Identity {
  const identity = identityFromFiles({ p12: flags.p12, cert: flags.vendorCert, key: flags.vendorKey, passwordFile: flags.passwordFile }, { cert: '--vendor-cert', key: '--vendor-key', usageCode: 'CLI_USAGE' });
  if (!identity) throw new CertpushError('CLI_USAGE', 'The vendor identity is missing: give --vendor-cert FILE and --vendor-key FILE, or --p12 FILE (with --password-file FILE).');
  return identity;
}
