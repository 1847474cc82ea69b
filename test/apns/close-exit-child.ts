// Child process for close-exit.test.ts: sends three notifications to the server named in the
// environment, prints their outcomes as one JSON line, calls close(), and does nothing else —
// so the process ends only if the client lets go of everything.
import { ApnsClient } from '../../src/apns/client.ts';
import type { TransportName } from '../../src/apns/transport/transport.ts';

const env = process.env;
const client = new ApnsClient({
  transport: env.TRANSPORT as TransportName,
  endpoint: env.ENDPOINT,
  ca: env.CA,
  certificate: { cert: env.CERT!, key: env.KEY! },
  requestTimeoutMs: 500,
});
const tokens = ['a', 'b', 'c'].map((c) => c.repeat(64));
const outcomes = await Promise.all(tokens.map((token) => client.send({ token, payload: '{}' })));
process.stdout.write(`${JSON.stringify(outcomes.map((o) => [o.class, 'reason' in o ? o.reason : undefined]))}\n`);
await client.close();
