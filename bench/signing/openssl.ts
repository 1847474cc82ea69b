// Reference: what vendor scripts do today — `openssl dgst -sha256 -sign` once per CSR, a new
// process each time, with no checks and no plist. CPU includes the openssl children.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { reportContender } from '../lib/contender.ts';

const [csrDir, pkiDir] = process.argv.slice(2) as [string, string];
const key = path.join(pkiDir, 'vendor.key');
const files = fs.readdirSync(csrDir).filter((f) => f.endsWith('.der')).sort();

await reportContender(async () => {
  for (const file of files) {
    const r = spawnSync('openssl', ['dgst', '-sha256', '-sign', key, '-out', path.join(csrDir, file.replace('.der', '.openssl.sig')), path.join(csrDir, file)]);
    if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  }
  return { count: files.length };
});
