// The frame writer on bytes alone: what it hands the socket, byte for byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameWriter } from '../../../src/apns/http2/frame-writer.ts';

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
