import { CertpushError, type ErrorCode, isCertpushError } from '../errors.ts';
import { parseCertificates } from '../pki/certificate.ts';
import { type Identity, loadIdentity } from '../pki/identity.ts';
import { parsePrivateKey } from '../pki/key.ts';
import { readPkcs12 } from '../pki/pkcs12.ts';
import { aboutInput, inputName, parseInputFile, readSecretFile } from './io.ts';

/** A certificate with its key as the command line names them: one PKCS#12, or two PEM/DER files. */
export interface IdentityFiles {
  p12?: string;
  cert?: string;
  key?: string;
  passwordFile?: string;
}

/** How the command spells its certificate and key options (`--cert`/`--key`, `--vendor-cert`/`--vendor-key`). */
export interface IdentityOptions {
  cert: string;
  key: string;
  /** The code for a wrong combination of options. */
  usageCode: ErrorCode;
}

/**
 * Load the identity the options name, or undefined when none is given. Every error names the
 * option and file it is about: which of the files is not a certificate, which key is encrypted,
 * that a PKCS#12 given without --password-file needs one (rather than "the password is wrong").
 */
export function identityFromFiles(files: IdentityFiles, options: IdentityOptions): Identity | undefined {
  const { cert: certOption, key: keyOption, usageCode } = options;
  if (files.p12 !== undefined && (files.cert !== undefined || files.key !== undefined)) {
    throw new CertpushError(usageCode, `Give either --p12 FILE, or ${certOption} FILE with ${keyOption} FILE, not both.`);
  }
  const password = files.passwordFile !== undefined ? readSecretFile(files.passwordFile, '--password-file') : undefined;
  if (files.p12 !== undefined) {
    const p12 = files.p12;
    const contents = parseInputFile(p12, '--p12', (bytes) => {
      try {
        return readPkcs12(bytes, password ?? '');
      } catch (error) {
        if (password === undefined && isCertpushError(error, 'P12_WRONG_PASSWORD')) {
          throw new CertpushError('P12_PASSWORD_REQUIRED', 'The PKCS#12 file is protected by a password: give it with --password-file FILE (the password on its first line).', { cause: error });
        }
        throw error;
      }
    });
    try {
      return loadIdentity({ pkcs12Contents: contents });
    } catch (error) {
      throw aboutInput(error, p12, '--p12');
    }
  }
  if (files.cert === undefined && files.key === undefined) return undefined;
  if (files.cert === undefined || files.key === undefined) {
    const [given, missing] = files.cert === undefined ? [keyOption, certOption] : [certOption, keyOption];
    throw new CertpushError(usageCode, `${given} needs ${missing} too: give the certificate and its private key (or --p12 FILE).`);
  }
  const [certFile, keyFile] = [files.cert, files.key];
  const certificates = parseInputFile(certFile, certOption, (bytes) => parseCertificates(bytes));
  const privateKey = parseInputFile(keyFile, keyOption, (bytes) => parsePrivateKey(bytes, password));
  try {
    return loadIdentity({ pkcs12Contents: { certificates, privateKey } });
  } catch (error) {
    if (!isCertpushError(error, 'KEY_MISMATCH')) throw error;
    throw new CertpushError('KEY_MISMATCH', `${inputName(keyFile, keyOption)} does not belong to ${inputName(certFile, certOption)}: ${error.message}`, { cause: error });
  }
}
