// close() must let the process exit, even after a server's GOAWAY left a stream open and the
// server keeps the connection up: a child process runs the client against a plain-TCP server
// that never answers and never closes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { frame, settingsFrame, T, u32 } from './scripted-server.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const CLIENT = `
import net from 'node:net';
import { Http2ClientConnection } from ${JSON.stringify(path.join(root, 'src/apns/http2/connection.ts'))};
import { encodeHeaderBlock } from ${JSON.stringify(path.join(root, 'src/apns/http2/hpack.ts'))};
const block = encodeHeaderBlock([[':method', 'POST'], [':scheme', 'https'], [':authority', 'x'], [':path', '/']]);
const socket = net.connect(Number(process.argv[1]), '127.0.0.1');
const connection = new Http2ClientConnection({ socket }, {
  ready() { connection.request((out, at) => at + block.copy(out, at), 0, block.length, Buffer.from('{}'), { onHeaders() {}, onData() {}, onReset() {} }); },
  settings() {}, streamClosed() {}, pingAck() {},
  goaway() { console.log('goaway, active ' + connection.active); connection.close(); },
  closed(error, cause) { console.log('closed ' + cause.by + ' ' + cause.codeName); },
});
`;

test('close() after a GOAWAY with a stream still open sends GOAWAY, ends the socket, and the process exits by itself', async () => {
  let fromClient = Buffer.alloc(0);
  let endedAfterGoaway = false;
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.write(settingsFrame([]));
    let answered = false;
    socket.on('data', (chunk) => {
      fromClient = Buffer.concat([fromClient, chunk]);
      // The request's HEADERS is in: GOAWAY that lets stream 1 through, then silence.
      if (!answered && fromClient.includes(Buffer.from([T.HEADERS, 0x04, 0, 0, 0, 1]))) {
        answered = true;
        socket.write(frame(T.GOAWAY, 0, 0, u32(1, 0)));
      }
    });
    socket.on('end', () => { endedAfterGoaway = hasGoaway(fromClient); });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CLIENT, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d; });
    child.stderr.on('data', (d: Buffer) => { output += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    clearTimeout(timer);
    assert.equal(code, 0, `the client process did not exit by itself: ${output}`);
    assert.match(output, /goaway, active 1/);
    assert.match(output, /closed peer NO_ERROR/);
    assert.equal(endedAfterGoaway, true, 'the server saw the client\'s GOAWAY, then the end of the stream');
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

function hasGoaway(bytes: Buffer): boolean {
  let at = 24; // the preface
  while (at + 9 <= bytes.length) {
    if (bytes[at + 3] === T.GOAWAY) return true;
    at += 9 + bytes.readUIntBE(at, 3);
  }
  return false;
}
