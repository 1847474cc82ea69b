// Contender: certpush vendor-signs every CSR in a directory in this process — the full
// signPushCertRequest (CSR, vendor and chain checks, SHA256withRSA, plist, self-verify).
import fs from 'node:fs';
import path from 'node:path';
import { signPushCertRequest } from '../../src/mdm/push-cert-request.ts';
import { parseCertificate } from '../../src/pki/certificate.ts';
import { loadIdentity } from '../../src/pki/identity.ts';
import { reportContender } from '../lib/contender.ts';

const [csrDir, pkiDir] = process.argv.slice(2) as [string, string];
const vendor = loadIdentity({ cert: fs.readFileSync(path.join(pkiDir, 'vendor.pem')), key: fs.readFileSync(path.join(pkiDir, 'vendor.key')) });
const intermediate = parseCertificate(fs.readFileSync(path.join(pkiDir, 'wwdr.pem')));
const root = parseCertificate(fs.readFileSync(path.join(pkiDir, 'apple-root.pem')));
const files = fs.readdirSync(csrDir).filter((f) => f.endsWith('.der')).sort();

await reportContender(async () => {
  for (const file of files) {
    const { request } = await signPushCertRequest({ csr: fs.readFileSync(path.join(csrDir, file)), vendor, intermediate, root });
    fs.writeFileSync(path.join(csrDir, file.replace('.der', '.certpush.b64')), request);
  }
  return { count: files.length };
});
