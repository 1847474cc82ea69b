import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { describe, it } from 'node:test';
import { describeNetworkError, postWebhook } from '../../src/delivery/webhook-call.ts';
import { isPublicAddress } from '../../src/service/webhook-target.ts';
import { atEnd } from '../fixtures/pki.ts';

/** A raw TCP target on loopback that does `onSocket` with each connection. */
async function rawTarget(onSocket: (socket: net.Socket) => void): Promise<string> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  atEnd(() => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  }));
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hook`;
}

function call(url: string, deadlineMs = 1000, allowInsecure = true) {
  return postWebhook({ url, allowInsecure, deadlineMs, body: '{"event":"x"}', headers: { 'content-type': 'application/json' } });
}

/** Time a promise; returns its value and the milliseconds it took. */
async function timed<T>(promise: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await promise;
  return { value, ms: Date.now() - started };
}

describe('one webhook call', () => {
  it('settles on the status line of a target that answers 200, sends one byte of body and closes the socket', async () => {
    const url = await rawTarget((socket) => socket.once('data', () => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\nx');
      setTimeout(() => socket.destroy(), 50);
    }));
    const { value, ms } = await timed(call(url, 5000));
    assert.equal(value, null);
    assert.ok(ms < 4000, `settled in ${ms} ms, before the deadline`);
  });

  it('does not wait for a body that trickles a byte at a time', async () => {
    const url = await rawTarget((socket) => socket.once('data', () => {
      socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
      const trickle = setInterval(() => socket.write('1\r\nx\r\n'), 100);
      socket.on('close', () => clearInterval(trickle));
    }));
    const { value, ms } = await timed(call(url, 5000));
    assert.equal(value, null);
    assert.ok(ms < 4000, `settled in ${ms} ms`);
  });

  it('gives up at the deadline on a target that trickles its headers a byte at a time', async () => {
    const url = await rawTarget((socket) => socket.once('data', () => {
      const bytes = [...'HTTP/1.1 200 OK\r\nx-slow: ' + 'a'.repeat(1000)];
      const trickle = setInterval(() => socket.write(bytes.shift() ?? 'a'), 50);
      socket.on('close', () => clearInterval(trickle));
    }));
    const { value, ms } = await timed(call(url, 800));
    assert.equal(value, 'no answer within 0.8 s');
    assert.ok(ms >= 700 && ms < 5000, `gave up after ${ms} ms`);
  });

  it('gives up at the deadline on a target that accepts the connection and never answers', async () => {
    const url = await rawTarget(() => {});
    const { value, ms } = await timed(call(url, 800));
    assert.equal(value, 'no answer within 0.8 s');
    assert.ok(ms < 5000, `gave up after ${ms} ms`);
  });

  it('reports a non-2xx status as "HTTP <status>"', async () => {
    const server = http.createServer((_req, res) => { res.statusCode = 503; res.end('busy'); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    atEnd(() => new Promise<void>((resolve) => server.close(() => resolve())));
    assert.equal(await call(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hook`), 'HTTP 503');
  });

  it('describes a refused connection without naming the address', async () => {
    const url = await rawTarget(() => {});
    const closed = new URL(url);
    // A port that was just free: bind, read it, close.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closed.port = String((probe.address() as net.AddressInfo).port);
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const text = await call(closed.toString());
    assert.equal(text, 'connection refused');
  });

  it('refuses a target that resolves to a private address with "refused: not a public address", never naming the address', async () => {
    for (const url of ['https://localhost/hook', 'https://127.0.0.1/hook', 'https://[::1]/hook', 'https://10.1.2.3/hook']) {
      const text = await call(url, 5000, false);
      assert.match(text!, /^refused: not a public address/, url);
      assert.doesNotMatch(text!, /127\.0\.0\.1|::1|10\.1\.2\.3/, `${url}: ${text}`);
    }
  });
});

describe('webhook target addresses', () => {
  it('are public unless loopback, private, carrier-grade NAT, link-local, metadata, multicast or reserved', () => {
    for (const [address, family] of [['127.0.0.1', 4], ['10.0.0.1', 4], ['172.16.5.4', 4], ['192.168.0.1', 4], ['100.64.0.1', 4], ['169.254.169.254', 4], ['0.0.0.0', 4], ['224.0.0.1', 4], ['::1', 6], ['::', 6], ['fd00::1', 6], ['fe80::1', 6], ['::ffff:10.0.0.1', 6]] as const) {
      assert.equal(isPublicAddress(address, family), false, address);
    }
    for (const [address, family] of [['93.184.216.34', 4], ['8.8.8.8', 4], ['2606:4700::1111', 6]] as const) {
      assert.equal(isPublicAddress(address, family), true, address);
    }
  });

  it('network errors are described by their kind, not by the address in Node\'s message', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' });
    assert.equal(describeNetworkError(error), 'connection refused');
    const odd = Object.assign(new Error('connect EWHATEVER 127.0.0.1:443'), { code: 'EWHATEVER' });
    assert.equal(describeNetworkError(odd), 'the call failed (EWHATEVER)');
  });
});
