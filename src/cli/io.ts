import fs from 'node:fs';
import { CertpushError } from '../errors.ts';

/** Read a file named on the command line, with an error that names the option. */
export function readInputFile(path: string, option: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CertpushError('FILE_NOT_FOUND', `${option}: file "${path}" does not exist. Check the path.`);
    if (code === 'EISDIR') throw new CertpushError('FILE_IS_DIRECTORY', `${option}: "${path}" is a directory; give a file.`);
    throw new CertpushError('FILE_UNREADABLE', `${option}: cannot read "${path}" (${code}). Check its permissions.`);
  }
}

/**
 * A secret (password, passphrase) from a file: its first line, without the line ending.
 * Secrets come from files, never flags, so they stay out of shell history and `ps`.
 */
export function readSecretFile(path: string, option: string): string {
  return readInputFile(path, option).toString('utf8').split(/\r?\n/)[0] ?? '';
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
