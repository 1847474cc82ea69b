// Run the real `certpush` command (bin/certpush.js on the project's Node 24) as a user would.
import { execFile } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const node = path.join(root, 'node_modules/.bin/node');
const bin = path.join(root, 'bin/certpush.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `certpush …args` to completion (asynchronously, so in-process simulators keep serving). */
export function runCertpush(args: string[], options: { cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(node, [bin, ...args], { cwd: options.cwd ?? root, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export { bin as certpushBin, node as nodeBin };
