// Vendor-signing 1,000 customer CSRs: certpush's full signPushCertRequest against
// `openssl dgst -sha256 -sign` per CSR (the signature step of today's vendor scripts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCsr } from '../src/pki/csr.ts';
import { generateRsaKey } from '../src/pki/key.ts';
import { createTestPki, writeTestPki } from '../src/simulators/test-pki.ts';
import { runContender, runRounds } from './lib/contender.ts';
import { printTable } from './lib/table.ts';

const COUNT = Number(process.env.CERTPUSH_BENCH_SIGNING_N ?? 1000);
const ROUNDS = Number(process.env.CERTPUSH_BENCH_ROUNDS ?? 3);

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certpush-bench-signing-'));
  try {
    const pkiDir = path.join(dir, 'pki');
    const csrDir = path.join(dir, 'csrs');
    fs.mkdirSync(csrDir);
    writeTestPki(pkiDir, await createTestPki());
    // Distinct CSRs; keys are reused across them because RSA key generation is not what is measured.
    const keys = Array.from({ length: 16 }, () => generateRsaKey());
    for (let i = 0; i < COUNT; i++) {
      const csr = await createCsr(keys[i % keys.length]!, { CN: `Customer ${i}`, O: 'Bench', C: 'US' });
      fs.writeFileSync(path.join(csrDir, `${String(i).padStart(5, '0')}.der`), csr.der);
    }
    const here = import.meta.dirname;
    const rows = await runRounds(ROUNDS, [
      () => runContender('certpush (checks + sign + plist + verify)', path.join(here, 'signing', 'certpush.ts'), [csrDir, pkiDir]),
      () => runContender('openssl dgst -sha256 -sign, per CSR', path.join(here, 'signing', 'openssl.ts'), [csrDir, pkiDir]),
    ]);
    printTable(`Vendor-signing ${COUNT} CSRs (median of ${ROUNDS} interleaved rounds)`, 'CSR', rows, 'openssl dgst -sha256 -sign, per CSR');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
