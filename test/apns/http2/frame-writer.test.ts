// The frame writer on bytes alone: what it hands the socket, byte for byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunkSize, FrameWriter } from '../../../src/apns/http2/frame-writer.ts';

function written(build: (writer: FrameWriter) => void): Buffer {
  const chunks: Buffer[] = [];
  const writer = new FrameWriter((chunk) => chunks.push(Buffer.from(chunk)));
  build(writer);
  writer.flush();
  return Buffer.concat(chunks);
}

test('frames written before a flush leave in one chunk, in order', () => {
  const chunks: Buffer[] = [];
  const writer = new FrameWriter((chunk) => chunks.push(Buffer.from(chunk)));
  writer.rstStream(1, 8);
  writer.windowUpdate(0, 1000);
  assert.equal(writer.pending, 26);
  writer.flush();
  writer.flush();
  assert.equal(chunks.length, 1);
  assert.equal(chunks[0]!.toString('hex'), '000004030000000001' + '00000008' + '000004080000000000' + '000003e8');
});

test('SETTINGS, GOAWAY and PING have the RFC 9113 layouts', () => {
  assert.equal(written((w) => w.settings(0, [[2, 0], [4, 65_535]])).toString('hex'), '00000c040000000000' + '000200000000' + '00040000ffff');
  assert.equal(written((w) => w.settings(1, [])).toString('hex'), '000000040100000000');
  assert.equal(written((w) => w.goaway(0, 9, Buffer.from('hi'))).toString('hex'), '00000a070000000000' + '00000000' + '00000009' + '6869');
  assert.equal(written((w) => w.ping(1, Buffer.from('12345678'))).toString('hex'), '000008060100000000' + Buffer.from('12345678').toString('hex'));
});

test('a frame larger than the buffer left gets a buffer of its own, after what came before', () => {
  const bytes = written((w) => {
    w.rstStream(3, 0);
    w.frame(0, 1, 3, Buffer.alloc(100_000, 7));
  });
  assert.equal(bytes.length, 13 + 9 + 100_000);
  assert.equal(bytes.readUIntBE(13, 3), 100_000);
  assert.equal(bytes[13 + 9 + 99_999], 7);
});

test('a writer that sends little holds a small buffer; one that sends bursts grows to 64 KB, and shrinks when they stop', () => {
  const writer = new FrameWriter(() => {});
  const idle = writer.capacity;
  assert.ok(idle <= 4096, `a new writer holds ${idle} bytes`);
  // Small turns (a few pushes each) never outgrow it.
  for (let turn = 0; turn < 100; turn++) {
    writer.frame(0, 1, 1, Buffer.alloc(200));
    writer.flush();
  }
  assert.ok(writer.capacity <= 4096 * 2, `after small turns: ${writer.capacity}`);
  // Turns of 40 KB (a busy connection): the buffer doubles up to the 64 KB cap.
  for (let turn = 0; turn < 10; turn++) {
    for (let i = 0; i < 200; i++) writer.frame(0, 0, 1, Buffer.alloc(200));
    writer.flush();
  }
  assert.equal(writer.capacity, 64 * 1024);
  // Back to small turns: once the buffer that saw the bursts is used up (its successor is sized
  // by them), the next one is small again.
  for (let turn = 0; turn < 1000; turn++) {
    writer.frame(0, 1, 1, Buffer.alloc(200));
    writer.flush();
  }
  assert.ok(writer.capacity <= 4096 * 2, `after the bursts stopped: ${writer.capacity}`);
});

test('chunkSize: twice the burst, a power of two between 4 and 64 KB, never less than the frame needs', () => {
  assert.equal(chunkSize(0, 10), 4096);
  assert.equal(chunkSize(3000, 10), 8192);
  assert.equal(chunkSize(40_000, 10), 65_536);
  assert.equal(chunkSize(1_000_000, 10), 65_536);
  assert.equal(chunkSize(0, 100_009), 100_009);
});

test('frames split across buffers of growing size arrive whole and in order', () => {
  const frames = Array.from({ length: 500 }, (_, i) => Buffer.alloc(100 + (i % 7) * 50, i % 256));
  const bytes = written((w) => {
    for (const [i, payload] of frames.entries()) w.frame(0, 0, 2 * i + 1, payload);
  });
  let at = 0;
  for (const [i, payload] of frames.entries()) {
    assert.equal(bytes.readUIntBE(at, 3), payload.length);
    assert.equal(bytes.readUInt32BE(at + 5), 2 * i + 1);
    assert.ok(bytes.subarray(at + 9, at + 9 + payload.length).equals(payload));
    at += 9 + payload.length;
  }
  assert.equal(at, bytes.length);
});
