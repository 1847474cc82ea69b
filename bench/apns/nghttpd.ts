// nghttpd (nghttp2's C server) as the independent APNs-shaped server of the benchmark: it is
// not the bottleneck (C, one core of its own) and nobody here wrote it. It serves files, so the
// docroot holds one empty file, 3/device/<token>, and every contender posts to that token.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface Nghttpd {
  url: string;
  stop(): Promise<void>;
}

export function hasNghttpd(): boolean {
  return spawnSync('nghttpd', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Start nghttpd on a free loopback port with its docroot in `dir` and the PKI in `pkiDir` (server.pem/.key).
 * `requestClientCert`: -V, the TLS handshake asks for the client certificate (nghttpd does not
 * verify it, but the client pays the full mutual-TLS handshake); h2load cannot present one.
 */
export async function startNghttpd(dir: string, token: string, requestClientCert: boolean, pkiDir: string): Promise<Nghttpd> {
  const docroot = path.join(dir, 'htdocs');
  fs.mkdirSync(path.join(docroot, '3', 'device'), { recursive: true });
  fs.writeFileSync(path.join(docroot, '3', 'device', token), '');
  const port = await freePort();
  // -m 1000: the stream limit APNs (and the simulator) advertise.
  const args = ['-a', '127.0.0.1', '-m', '1000', '-d', docroot, ...(requestClientCert ? ['-V'] : []), String(port), path.join(pkiDir, 'server.key'), path.join(pkiDir, 'server.pem')];
  const child = spawn('nghttpd', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(port, child);
  return {
    url: `https://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`nghttpd exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nghttpd did not listen on ${port} within 10 s`);
}
