import { spawn } from 'node:child_process';

/**
 * The console's browser code is TypeScript on disk and JavaScript on the wire. Stripping the
 * types needs Node's stripper (`stripTypeScriptTypes`, a WebAssembly build of swc), which stays
 * loaded in a process once used: ~17 MB of resident memory, for the rest of a service's life,
 * after a single console page view (README: Design, "A service's memory"). So the service strips
 * in a short-lived child process — every file at once, the first time the console is asked for —
 * and keeps only the JavaScript.
 */
const CHILD = `
const { stripTypeScriptTypes } = require('node:module');
const { readFileSync } = require('node:fs');
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', () => {
  const out = {};
  for (const file of JSON.parse(input)) out[file] = stripTypeScriptTypes(readFileSync(file, 'utf8'), { mode: 'strip' });
  process.stdout.write(JSON.stringify(out));
});
`;

/** How long the child may take before the first console request gives up on it. */
const CHILD_TIMEOUT_MS = 30_000;

/** Each file's JavaScript (its types stripped), by path, made in a child process that exits when done. */
export function stripInChild(files: readonly string[]): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    // No inherited NODE_OPTIONS (a preload there would run in the child too); the warning that
    // the stripper is experimental is for whoever calls it, and the pinned Node is tested.
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '-e', CHILD], { env, stdio: ['pipe', 'pipe', 'pipe'], timeout: CHILD_TIMEOUT_MS });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`stripping the console's TypeScript failed (${signal ?? `exit ${code}`}): ${Buffer.concat(err).toString('utf8').trim().split('\n').slice(0, 5).join(' ')}`));
        return;
      }
      try {
        resolve(new Map(Object.entries(JSON.parse(Buffer.concat(out).toString('utf8')) as Record<string, string>)));
      } catch (error) {
        reject(new Error(`stripping the console's TypeScript gave unreadable output: ${(error as Error).message}`));
      }
    });
    child.stdin.end(JSON.stringify(files));
  });
}
