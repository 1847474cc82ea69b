import type { Command } from 'commander';
import { CertpushError } from '../errors.ts';
import type { IdentitySource } from '../pki/identity.ts';
import { readInputFile, readSecretFile } from './io.ts';

/** The vendor signing identity as given on the command line. */
export interface VendorIdentityFlags {
  vendorCert?: string;
  vendorKey?: string;
  vendorP12?: string;
  passphraseFile?: string;
}

/** Add the vendor identity options (shared by `mdm vendor-sign` and `signer serve`). */
export function vendorIdentityOptions(command: Command): Command {
  return command
    .option('--vendor-cert <file>', 'vendor MDM signing certificate (PEM or DER)')
    .option('--vendor-key <file>', 'its private key (PEM or DER; PKCS#1, PKCS#8 or encrypted PKCS#8)')
    .option('--vendor-p12 <file>', 'vendor certificate and key as PKCS#12 instead')
    .option('--passphrase-file <file>', 'passphrase of the encrypted key, or the PKCS#12 password');
}

/** Read the files the flags name: a PKCS#12, or a certificate and key. */
export function vendorIdentitySource(flags: VendorIdentityFlags): IdentitySource {
  const passphrase = flags.passphraseFile ? readSecretFile(flags.passphraseFile, '--passphrase-file') : undefined;
  if (flags.vendorP12) {
    if (flags.vendorCert || flags.vendorKey) throw new CertpushError('CLI_USAGE', 'Give either --vendor-p12, or --vendor-cert with --vendor-key, not both.');
    return { pkcs12: readInputFile(flags.vendorP12, '--vendor-p12'), password: passphrase ?? '' };
  }
  if (!flags.vendorCert || !flags.vendorKey) {
    throw new CertpushError('CLI_USAGE', 'The vendor identity is missing: give --vendor-cert and --vendor-key, or --vendor-p12 (with --passphrase-file).');
  }
  return { cert: readInputFile(flags.vendorCert, '--vendor-cert'), key: readInputFile(flags.vendorKey, '--vendor-key'), passphrase };
}
