// APNs test fixtures: an MDM push identity from the shared test PKI, simulators that stop when
// the test file ends, and clients that trust the simulator through the test PKI's CA.
import crypto from 'node:crypto';
import { ApnsClient, type ApnsClientOptions } from '../../src/apns/client.ts';
import type { Outcome } from '../../src/apns/outcome.ts';
import { generateRsaKey, privateKeyToPem } from '../../src/pki/key.ts';
import { type ApnsSimulator, type ApnsSimulatorOptions, startApnsSimulator } from '../../src/simulators/apns.ts';
import { issueMdmPushCertificate, type TestPki } from '../../src/simulators/test-pki.ts';
import { atEnd, testPki } from '../fixtures/pki.ts';

export interface PushIdentity {
  /** Leaf + push CA, PEM (what a client presents). */
  cert: string;
  key: string;
  topic: string;
}

let identity: Promise<PushIdentity> | undefined;

/** An MDM push certificate (both environments) and its key, made once per test file. */
export function pushIdentity(): Promise<PushIdentity> {
  identity ??= (async () => {
    const pki = await testPki();
    const key = generateRsaKey();
    const { cert, topic } = await issueMdmPushCertificate(pki, { publicKey: crypto.createPublicKey(key), environments: ['development', 'production'] });
    return { cert: cert + pki.pushCa.cert, key: privateKeyToPem(key), topic };
  })();
  return identity;
}

/** A simulator with the test PKI's server identity, trusting its push CA chain; closed at the end. */
export async function simulator(options: Partial<ApnsSimulatorOptions> = {}): Promise<{ sim: ApnsSimulator; pki: TestPki }> {
  const pki = await testPki();
  const sim = await startApnsSimulator({ tls: pki.server, clientCa: [pki.appleRoot.cert, pki.pushCa.cert], ...options });
  atEnd(() => sim.close());
  return { sim, pki };
}

/** A certificate-auth client for `sim`, closed at the end. */
export async function certClient(sim: ApnsSimulator, options: Partial<ApnsClientOptions> = {}): Promise<ApnsClient> {
  const pki = await testPki();
  const id = await pushIdentity();
  const client = new ApnsClient({ endpoint: sim.url, ca: pki.serverCa.cert, certificate: { cert: id.cert, key: id.key }, ...options });
  atEnd(() => client.close());
  return client;
}

/** A device token: 64 hex digits derived from `n`. */
export function deviceToken(n: number): string {
  return crypto.createHash('sha256').update(`device-${n}`).digest('hex');
}

/** [class, status, reason] of an outcome, for one-line assertions. */
export function brief(outcome: Outcome): [string, number, string | undefined] {
  return [outcome.class, outcome.status, 'reason' in outcome ? outcome.reason : undefined];
}

/** The reason of a failed outcome (undefined when accepted). */
export function reasonOf(outcome: Outcome): string | undefined {
  return 'reason' in outcome ? outcome.reason : undefined;
}

/** The detail of a failed outcome ('' when none). */
export function detailOf(outcome: Outcome): string {
  return ('detail' in outcome ? outcome.detail : undefined) ?? '';
}
