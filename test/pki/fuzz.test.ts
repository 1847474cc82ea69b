// Property tests: every parser of the certificate toolkit, fed random and half-broken input,
// either returns or throws a CertpushError with a code — never another error, never a hang.
//
// The properties run in a worker thread: a parser stuck in a synchronous loop cannot be
// interrupted from its own thread, but a worker can be terminated. The main thread registers the
// tests and prepares real certificate material with openssl; the worker (this same file, loaded
// with workerData) runs the properties one after another and posts each verdict back, and the
// main thread gives each property HANG_LIMIT_MS from the moment it starts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { CertpushError } from '../../src/errors.ts';
import { parseCertificate, parseCertificates } from '../../src/pki/certificate.ts';
import { parseCsr } from '../../src/pki/csr.ts';
import { inspectFile } from '../../src/pki/inspect.ts';
import { parsePrivateKey } from '../../src/pki/key.ts';
import { parsePem, pemLineProblems, toPem } from '../../src/pki/pem.ts';
import { readPkcs12 } from '../../src/pki/pkcs12.ts';

/** Inputs stay small: the properties are about robustness, not throughput. */
const MAX_BYTES = 4096;
const PASSWORD = 'fuzz';
/** A property that has not finished after this long is hung (a normal run takes a few seconds). */
const HANG_LIMIT_MS = 60_000;

/** Real DER made by openssl and the test PKI, to mutate: mutations get past the outer ASN.1 checks. */
interface Materials {
  certificate: Uint8Array;
  csr: Uint8Array;
  pkcs8: Uint8Array;
  pkcs1: Uint8Array;
  encryptedPkcs8: Uint8Array;
  /** PKCS#12 without MAC or encryption: mutations reach the bags, the certificate and the key. */
  plainPkcs12: Uint8Array;
  defaultPkcs12: Uint8Array;
}

/** Run `fn`; if it throws, the error must be a CertpushError with a code. */
async function returnsOrThrowsCertpushError(fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (!(error instanceof CertpushError)) {
      throw new Error(`threw ${error instanceof Error ? `${error.constructor.name}: ${error.message}` : `non-error ${String(error)}`}`, { cause: error });
    }
    assert.match(error.code, /^[A-Z0-9_]+$/);
    assert.ok(error.message.length > 0);
  }
}

/** Every entry point that takes bytes. */
async function feedBytes(bytes: Uint8Array): Promise<void> {
  await returnsOrThrowsCertpushError(() => parsePem(bytes));
  await returnsOrThrowsCertpushError(() => parseCertificate(bytes));
  await returnsOrThrowsCertpushError(() => parseCertificates(bytes));
  await returnsOrThrowsCertpushError(() => parseCsr(bytes));
  await returnsOrThrowsCertpushError(() => parsePrivateKey(bytes));
  await returnsOrThrowsCertpushError(() => parsePrivateKey(bytes, PASSWORD));
  await returnsOrThrowsCertpushError(() => readPkcs12(bytes, PASSWORD));
  await returnsOrThrowsCertpushError(() => inspectFile(bytes));
  await returnsOrThrowsCertpushError(() => inspectFile(bytes, { password: PASSWORD }));
}

/** Every entry point that takes text (and the same text as bytes). */
async function feedText(text: string): Promise<void> {
  await returnsOrThrowsCertpushError(() => parsePem(text));
  await returnsOrThrowsCertpushError(() => parseCertificate(text));
  await returnsOrThrowsCertpushError(() => parseCertificates(text));
  await returnsOrThrowsCertpushError(() => parseCsr(text));
  await returnsOrThrowsCertpushError(() => parsePrivateKey(text));
  await returnsOrThrowsCertpushError(() => parsePrivateKey(text, PASSWORD));
  await returnsOrThrowsCertpushError(() => pemLineProblems(text));
  await feedBytes(Buffer.from(text, 'utf8'));
}

const BASE64_CHARS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'];
const LABELS = ['CERTIFICATE', 'CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST', 'PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'PUBLIC KEY', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE'];

const label = fc.array(fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'), minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 3 })
  .map((words) => words.join(' '));

/** Text that looks like PEM: markers, headers, Base64-ish bodies, cut-offs, odd line ends. */
const pemLike = (bodies: fc.Arbitrary<string>) => {
  const block = fc.record({
    label: fc.oneof(fc.constantFrom(...LABELS), label),
    endLabel: fc.option(fc.oneof(fc.constantFrom(...LABELS), label), { nil: undefined }),
    headers: fc.option(fc.constantFrom('Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF\n\n', 'Proc-Type: 4,ENCRYPTED\n', ':\n\n'), { nil: '' }),
    body: bodies,
    width: fc.integer({ min: 1, max: 80 }),
    eol: fc.constantFrom('\n', '\r\n', '\r', ' '),
    end: fc.constantFrom('full', 'missing', 'cut'),
  }).map(({ label: l, endLabel, headers, body, width, eol, end }) => {
    const lines = body.match(new RegExp(`[^]{1,${width}}`, 'g')) ?? [];
    const endLine = end === 'missing' ? '' : end === 'cut' ? `-----END ${endLabel ?? l}` : `-----END ${endLabel ?? l}-----`;
    return [`-----BEGIN ${l}-----`, headers + lines.join(eol), endLine].join(eol);
  });
  return fc.tuple(fc.array(fc.tuple(fc.string({ maxLength: 40 }), block), { minLength: 1, maxLength: 3 }), fc.string({ maxLength: 40 }))
    .map(([parts, tail]) => parts.map(([junk, b]) => junk + b).join('\n') + tail);
};

const base64Body = fc.oneof(
  fc.uint8Array({ maxLength: 1200 }).map((b) => Buffer.from(b).toString('base64')),
  fc.string({ unit: fc.constantFrom(...BASE64_CHARS, '=', ' ', '\n', '\t', '-', ':', '*'), maxLength: 1600 }),
  fc.string({ maxLength: 400 }),
);

/** Bytes with a few positions overwritten, optionally cut short. */
function mutated(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.record({
    writes: fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
    cut: fc.option(fc.nat(base.length), { nil: undefined, freq: 4 }),
  }).map(({ writes, cut }) => {
    const copy = Buffer.from(base);
    for (const [at, value] of writes) copy[at] = value;
    return cut === undefined ? copy : copy.subarray(0, cut);
  });
}

/** A mutated DER, sometimes wrapped in PEM under a label that fits or not. */
function mutatedInput(base: Uint8Array, fitting: string): fc.Arbitrary<Uint8Array> {
  return fc.tuple(mutated(base), fc.constantFrom<string | null>(null, null, fitting, 'CERTIFICATE'))
    .map(([bytes, wrap]) => (wrap === null ? bytes : Buffer.from(toPem(wrap, bytes))));
}

interface Verdict { failed: boolean; report: string }

/** Run a property `numRuns` times and sum up fast-check's verdict (with seed and counterexample). */
async function check<Ts>(property: fc.IAsyncProperty<Ts>, numRuns: number): Promise<Verdict> {
  const details = await fc.check(property, { numRuns });
  if (!details.failed) return { failed: false, report: '' };
  const error = details.errorInstance instanceof Error ? `${details.errorInstance.message}\n${details.errorInstance.stack ?? ''}` : String(details.errorInstance);
  return { failed: true, report: `${fc.defaultReportMessage(details) ?? 'failed'}\nError: ${error}` };
}

/** The properties, by test name, with their number of runs. */
const PROPERTIES: Record<string, (m: Materials) => Promise<Verdict>> = {
  'every parser survives random bytes': () =>
    check(fc.asyncProperty(fc.uint8Array({ maxLength: MAX_BYTES }), feedBytes), 300),

  'every parser survives random strings, Unicode and binary': () =>
    check(fc.asyncProperty(fc.oneof(fc.string({ maxLength: MAX_BYTES }), fc.string({ unit: 'binary', maxLength: 1000 })), feedText), 200),

  'every parser survives text built around PEM markers with random Base64 bodies': () =>
    check(fc.asyncProperty(pemLike(base64Body).filter((t) => t.length <= MAX_BYTES), feedText), 400),

  'every parser survives a mutated certificate (DER and PEM)': (m) =>
    check(fc.asyncProperty(mutatedInput(m.certificate, 'CERTIFICATE'), feedBytes), 400),

  'every parser survives a mutated CSR (DER and PEM)': (m) =>
    check(fc.asyncProperty(mutatedInput(m.csr, 'CERTIFICATE REQUEST'), feedBytes), 300),

  'every parser survives mutated PKCS#8 and PKCS#1 keys (DER and PEM)': (m) =>
    check(fc.asyncProperty(fc.oneof(mutatedInput(m.pkcs8, 'PRIVATE KEY'), mutatedInput(m.pkcs1, 'RSA PRIVATE KEY')), feedBytes), 300),

  'every parser survives a mutated encrypted PKCS#8 key (DER and PEM)': (m) =>
    check(fc.asyncProperty(mutatedInput(m.encryptedPkcs8, 'ENCRYPTED PRIVATE KEY'), feedBytes), 150),

  'readPkcs12 and inspectFile survive a mutated PKCS#12 without MAC or encryption': (m) =>
    check(fc.asyncProperty(mutated(m.plainPkcs12), async (bytes) => {
      await returnsOrThrowsCertpushError(() => readPkcs12(bytes, PASSWORD));
      await returnsOrThrowsCertpushError(() => inspectFile(bytes, { password: PASSWORD }));
    }), 400),

  'readPkcs12 survives a mutated PKCS#12 in the default openssl form': (m) =>
    check(fc.asyncProperty(mutated(m.defaultPkcs12), async (bytes) => {
      await returnsOrThrowsCertpushError(() => readPkcs12(bytes, PASSWORD));
    }), 60),

  'toPem then parsePem round-trips any bytes under any label': () =>
    check(fc.asyncProperty(label, fc.uint8Array({ minLength: 1, maxLength: MAX_BYTES }), fc.constantFrom('\n', '\r\n'), async (l, bytes, eol) => {
      const pem = toPem(l, bytes);
      assert.deepEqual(parsePem(pem.replaceAll('\n', eol)), [{ label: l, der: Buffer.from(bytes) }]);
      assert.deepEqual(pemLineProblems(pem), []);
    }), 500),

  'parsePem finds every block, in order, among text between blocks': () => {
    const junk = fc.string({ maxLength: 60 }).filter((s) => !s.includes('-----'));
    const block = fc.tuple(label, fc.uint8Array({ minLength: 1, maxLength: 300 }));
    return check(fc.asyncProperty(fc.array(fc.tuple(junk, block), { maxLength: 5 }), junk, async (parts, tail) => {
      const text = parts.map(([j, [l, bytes]]) => `${j}\n${toPem(l, bytes)}`).join('') + tail;
      assert.deepEqual(parsePem(text), parts.map(([, [l, bytes]]) => ({ label: l, der: Buffer.from(bytes) })));
    }), 300);
  },

  'pemLineProblems reports every line of a body reflowed to another width': () =>
    check(fc.asyncProperty(fc.uint8Array({ minLength: 100, maxLength: 1500 }), fc.integer({ min: 1, max: 200 }).filter((w) => w !== 64), async (bytes, width) => {
      const lines = Buffer.from(bytes).toString('base64').match(new RegExp(`.{1,${width}}`, 'g'))!;
      const problems = pemLineProblems(`-----BEGIN X-----\n${lines.join('\n')}\n-----END X-----\n`);
      const expected = lines.flatMap((l, i) => ((i === lines.length - 1 ? l.length > 64 : l.length !== 64) ? [i + 1] : []));
      assert.deepEqual(problems.map((p) => p.line), expected);
      assert.ok(expected.length > 0);
    }), 300),
};

type WorkerMessage = { name: string; started: true } | { name: string; verdict: Verdict };

if (!isMainThread) {
  // Worker: run every property in turn, saying when each starts so the main thread can time it.
  const { materials } = workerData as { materials: Materials };
  for (const [name, run] of Object.entries(PROPERTIES)) {
    parentPort!.postMessage({ name, started: true } satisfies WorkerMessage);
    parentPort!.postMessage({ name, verdict: await run(materials) } satisfies WorkerMessage);
  }
} else {
  const { tempDir, openssl, testPki } = await import('../fixtures/pki.ts');
  const { opensslRsaKey, opensslToDer, opensslPkcs12 } = await import('../fixtures/openssl-pki.ts');
  const { issueMdmPushCertificate } = await import('../../src/simulators/test-pki.ts');
  const dir = tempDir();
  let verdicts: Map<string, Promise<Verdict>>;

  before(async () => {
    const keyPath = opensslRsaKey(dir, 'key.pem');
    const csrPath = path.join(dir, 'req.csr');
    openssl(['req', '-new', '-key', keyPath, '-subj', '/CN=fuzz/O=certpush/C=US/emailAddress=a@example.com', '-out', csrPath]);
    // An MDM push certificate has the most extensions to break (EKU, key usage, SKI/AKI, Apple markers).
    const pki = await testPki();
    const push = await issueMdmPushCertificate(pki, { publicKey: parsePrivateKey(fs.readFileSync(keyPath, 'utf8')), environments: ['development', 'production'] });
    const certPath = path.join(dir, 'push.pem');
    fs.writeFileSync(certPath, push.cert);
    const identity = { certPath, keyPath, password: PASSWORD };
    const materials: Materials = {
      certificate: parseCertificate(push.cert).der,
      csr: opensslToDer('req', csrPath),
      pkcs8: opensslToDer('pkcs8', keyPath, ['-topk8', '-nocrypt']),
      pkcs1: opensslToDer('rsa', keyPath, ['-traditional']),
      encryptedPkcs8: opensslToDer('pkcs8', keyPath, ['-topk8', '-v2', 'aes-256-cbc', '-passout', `pass:${PASSWORD}`]),
      plainPkcs12: opensslPkcs12(dir, 'plain.p12', { ...identity, extra: ['-nomac', '-keypbe', 'NONE', '-certpbe', 'NONE'] }),
      defaultPkcs12: opensslPkcs12(dir, 'default.p12', identity),
    };
    // The plain PKCS#12 must open as it is, or its mutations test nothing beyond the outer layer.
    assert.equal(readPkcs12(materials.plainPkcs12, PASSWORD).certificates.length, 1);
    verdicts = runAllInWorker(materials);
  });

  /** Start the worker; one promise per property, rejected if the worker hangs, crashes or exits early. */
  function runAllInWorker(materials: Materials): Map<string, Promise<Verdict>> {
    const pending = new Map<string, { resolve: (v: Verdict) => void; reject: (e: Error) => void }>();
    const results = new Map<string, Promise<Verdict>>();
    for (const name of Object.keys(PROPERTIES)) {
      const promise = new Promise<Verdict>((resolve, reject) => pending.set(name, { resolve, reject }));
      promise.catch(() => { /* reported by the test that awaits it */ });
      results.set(name, promise);
    }
    const failAll = (error: Error) => {
      for (const { reject } of pending.values()) reject(error);
      pending.clear();
    };
    const worker = new Worker(new URL(import.meta.url), { workerData: { materials } });
    let timer: NodeJS.Timeout | undefined;
    worker.on('message', (message: WorkerMessage) => {
      clearTimeout(timer);
      if ('verdict' in message) {
        pending.get(message.name)?.resolve(message.verdict);
        pending.delete(message.name);
        return;
      }
      timer = setTimeout(() => {
        void worker.terminate();
        failAll(new Error(`"${message.name}" did not finish within ${HANG_LIMIT_MS / 1000} s: a parser hangs on some input`));
      }, HANG_LIMIT_MS);
    });
    worker.on('error', (error) => { clearTimeout(timer); failAll(error); });
    worker.on('exit', (code) => { clearTimeout(timer); failAll(new Error(`the fuzz worker exited (${code}) before every property had a verdict`)); });
    return results;
  }

  describe('parsers under random input', () => {
    for (const name of Object.keys(PROPERTIES)) {
      it(name, async () => {
        const verdict = await verdicts.get(name)!;
        assert.equal(verdict.failed, false, verdict.report);
      });
    }
  });
}
