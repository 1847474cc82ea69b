// Shared set-up for tests that talk to the MPNS simulator: one test PKI per test file, a
// simulator on loopback (HTTP and HTTPS), and senders allowed to reach exactly it.
import { MpnsSender, type MpnsSenderOptions } from '../../src/mpns/sender.ts';
import { type MpnsSimulator, type MpnsSimulatorOptions, mpnsSimulatorTls, startMpnsSimulator } from '../../src/simulators/mpns.ts';
import { createTestPki, type TestPki } from '../../src/simulators/test-pki.ts';

export interface SimulatorFixture {
  pki: TestPki;
  simulator: MpnsSimulator;
  /** host:port entries for the simulator's two servers: what a sender's allowHosts needs. */
  allowHosts: string[];
  /** A sender for the simulator: test PKI client certificate, simulator CA, simulator allowed. */
  sender(options?: MpnsSenderOptions): MpnsSender;
  close(): Promise<void>;
}

let pkiPromise: Promise<TestPki> | undefined;

/** The test PKI of this test process (made once: RSA key generation is the slow part). */
export function testPki(): Promise<TestPki> {
  pkiPromise ??= createTestPki();
  return pkiPromise;
}

export async function startSimulatorFixture(options: Omit<MpnsSimulatorOptions, 'tls'> = {}): Promise<SimulatorFixture> {
  const pki = await testPki();
  const simulator = await startMpnsSimulator({ ...options, tls: mpnsSimulatorTls(pki) });
  const allowHosts = [new URL(simulator.httpUrl!).host, new URL(simulator.httpsUrl!).host];
  const senders: MpnsSender[] = [];
  return {
    pki,
    simulator,
    allowHosts,
    sender(senderOptions = {}) {
      const sender = new MpnsSender({
        credential: { cert: pki.mpnsClient.cert, key: pki.mpnsClient.key },
        ca: pki.serverCa.cert,
        allowHosts,
        ...senderOptions,
      });
      senders.push(sender);
      return sender;
    },
    async close() {
      for (const sender of senders) sender.close();
      await simulator.close();
    },
  };
}
