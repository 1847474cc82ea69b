import fs from 'node:fs';
import { CertpushError, isCertpushError } from '../errors.ts';
import { FindingsError } from '../pki/finding.ts';

/**
 * How an error names the file it is about: `--cert push.pem`, or just the path for a
 * positional argument (`option` empty). Every content error starts with it, so a command with
 * four input files says which one is wrong.
 */
export function inputName(path: string, option: string): string {
  return option ? `${option} ${path}` : path;
}

/**
 * Read a file named on the command line. Missing, unreadable and empty files are refused with
 * a message that names the option and the path: an empty file (a failed download or copy) would
 * otherwise surface as "not a certificate" further on, which sends people looking elsewhere.
 */
export function readInputFile(path: string, option: string): Buffer {
  const name = inputName(path, option);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CertpushError('FILE_NOT_FOUND', `${name}: the file does not exist. Check the path.`);
    if (code === 'EISDIR') throw new CertpushError('FILE_IS_DIRECTORY', `${name}: this is a directory; give a file.`);
    throw new CertpushError('FILE_UNREADABLE', `${name}: cannot read the file (${code}). Check its permissions.`);
  }
  if (bytes.length === 0) throw new CertpushError('FILE_EMPTY', `${name}: the file is empty (0 bytes). Write it again, or check that the copy or download that made it finished.`);
  return bytes;
}

/**
 * A secret (password, passphrase, token) from a file: its first line, without the line ending.
 * Secrets come from files, never flags, so they stay out of shell history and `ps`. A file with
 * nothing on its first line is refused as empty: a PKCS#12 without a password needs no file.
 */
export function readSecretFile(path: string, option: string): string {
  const secret = readInputFile(path, option).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (secret === '') throw new CertpushError('FILE_EMPTY', `${inputName(path, option)}: the first line is empty; write the secret on the first line of the file.`);
  return secret;
}

/**
 * Read a file and parse it; a CertpushError from the parser is passed on with the option and
 * path in front of its message (`--csr customer.csr: the data is not …`), its code unchanged.
 */
export function parseInputFile<T>(path: string, option: string, parse: (bytes: Buffer) => T): T {
  const bytes = readInputFile(path, option);
  try {
    return parse(bytes);
  } catch (error) {
    throw aboutInput(error, path, option);
  }
}

/**
 * The same error, its message prefixed with the file it is about (non-certpush errors unchanged);
 * a leading common word is lowercased to read as one sentence, names ("Apple's", "PKCS#12") are not.
 */
export function aboutInput(error: unknown, path: string, option: string, message?: string): unknown {
  if (!isCertpushError(error)) return error;
  const text = message ?? error.message.replace(/^(?:The|This|That|It|Its|A|An|Expected|No|Not) /, (word) => word.toLowerCase());
  const named = `${inputName(path, option)}: ${text}`;
  // A refusal with findings stays one (the exit code and --json output depend on it).
  return error instanceof FindingsError ? new FindingsError(error.code, named, error.findings) : new CertpushError(error.code, named, { cause: error });
}

/** Write output to a file (mode 0644) or stdout when no path is given. */
export function writeOutput(path: string | undefined, text: string): void {
  if (path) fs.writeFileSync(path, text);
  else process.stdout.write(text);
}

/** Print a value as pretty JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
