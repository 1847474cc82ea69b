import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { it } from 'node:test';
import { acceptQueueLength } from '../../bench/lib/accept-queue.ts';

// The load benchmark's listen-backlog instrument (bench/lib/accept-queue.ts) reads only the
// listening part of /proc/net/tcp: it must still find the one socket it is asked about among
// the machine's others, and count exactly the connections it has not accepted.
it('counts the connections a listener has not accepted, among hundreds of other sockets', { skip: process.platform !== 'linux' && 'reads /proc/net/tcp' }, async () => {
  // python3 listens and never calls accept(): every connection waits in its backlog.
  const listener = spawn('python3', ['-c', 'import socket,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(200)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const sockets: net.Socket[] = [];
  let accepted = 0;
  const other = net.createServer(() => { accepted++; });
  try {
    const port = Number(await new Promise<string>((resolve) => listener.stdout.once('data', (d) => resolve(String(d).trim()))));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const connect = (to: number) => new Promise<net.Socket>((resolve, reject) => { const s = net.connect(to, '127.0.0.1', () => resolve(s)).once('error', reject); sockets.push(s); });
    await Promise.all(Array.from({ length: 300 }, () => connect((other.address() as net.AddressInfo).port)));
    assert.equal(acceptQueueLength(port), 0);
    await Promise.all(Array.from({ length: 37 }, () => connect(port)));
    let seen = 0;
    // The handshake completes before the kernel counts it: allow it a moment.
    for (let i = 0; i < 50 && seen !== 37; i++) { seen = acceptQueueLength(port); if (seen !== 37) await new Promise((r) => setTimeout(r, 20)); }
    assert.equal(seen, 37);
    // Node accepts on its next turns of the event loop; once it has, nobody waits there.
    for (let i = 0; i < 100 && accepted < 300; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(accepted, 300);
    assert.equal(acceptQueueLength((other.address() as net.AddressInfo).port), 0, 'a listener that has accepted has nobody waiting');
  } finally {
    for (const s of sockets) s.destroy();
    other.close();
    listener.kill();
  }
});
