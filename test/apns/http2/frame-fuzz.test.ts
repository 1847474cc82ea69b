// Fuzzing the wire's reading side: random bytes and random frame sequences, legal and illegal.
// Whatever arrives, the client either goes on or ends with a connection error carrying the right
// code — never a throw, a hang, or an unbounded buffer. Run counts are fixed so this stays < 20 s.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FrameReader } from '../../../src/apns/http2/frame-reader.ts';
import { E, F, frame, S, ScriptedServer, scripted, settingsFrame, STATUS_200, T, u32 } from './scripted-server.ts';

const MAX_FRAME = 16_384;
const ERROR_CODES = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);

/** Bytes cut into chunks at random places. */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) { out.push(bytes.subarray(from, p)); from = p; }
  out.push(bytes.subarray(from));
  return out;
}

test('the frame reader finds the same frames however the bytes are chunked, and holds at most one frame', () => {
  const frameArb = fc.record({ type: fc.integer({ min: 0, max: 255 }), flags: fc.integer({ min: 0, max: 255 }), id: fc.integer({ min: 0, max: 2 ** 32 - 1 }), length: fc.integer({ min: 0, max: 300 }) });
  fc.assert(fc.property(fc.array(frameArb, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (frames, cuts) => {
    const bytes = Buffer.concat(frames.map((f) => frame(f.type, f.flags, f.id, Buffer.alloc(f.length, f.type))));
    const reader = new FrameReader(MAX_FRAME);
    const seen: string[] = [];
    for (const chunk of chunked(bytes, cuts)) {
      reader.push(chunk);
      while (reader.next()) {
        const f = reader.frame;
        seen.push(`${f.type}/${f.flags}/${f.id}/${f.end - f.start}/${f.data.subarray(f.start, f.end).every((b) => b === f.type)}`);
      }
      assert.ok(reader.buffered <= 9 + MAX_FRAME);
    }
    assert.deepEqual(seen, frames.map((f) => `${f.type}/${f.flags}/${f.id & 0x7fffffff}/${f.length}/true`));
    assert.equal(reader.error, undefined);
    assert.equal(reader.buffered, 0);
  }), { numRuns: 300 });
});

test('the frame reader never throws on random bytes and stops with FRAME_SIZE_ERROR on an oversized frame', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 4000 }), fc.array(fc.nat(), { maxLength: 20 }), (bytes, cuts) => {
    const reader = new FrameReader(MAX_FRAME);
    for (const chunk of chunked(Buffer.from(bytes), cuts)) {
      reader.push(chunk);
      while (reader.next()) { /* frames */ }
      assert.ok(reader.buffered <= 9 + MAX_FRAME);
      if (reader.error) assert.equal(reader.error.code, E.FRAME_SIZE_ERROR);
    }
  }), { numRuns: 500 });
});

/** Wait until the connection closed or `ms` passed. */
async function settle(s: ScriptedServer, ms: number): Promise<boolean> {
  const closed = await Promise.race([s.closed.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);
  return closed;
}

test('random bytes after the handshake: the client goes on, or ends with GOAWAY and an HTTP/2 error code', async () => {
  await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 3000 }), fc.array(fc.nat(), { maxLength: 10 }), async (bytes, cuts) => {
    const s = await scripted();
    const { heard } = s.request(Buffer.from('{}'));
    for (const chunk of chunked(Buffer.from(bytes), cuts)) s.send(chunk);
    if (await settle(s, 30)) {
      const { cause } = await s.closed;
      assert.equal(cause?.by, 'certpush');
      assert.ok(ERROR_CODES.has(cause!.code), `code ${cause?.code}`);
      const goaway = await s.goaway();
      assert.equal(goaway.code, cause!.code);
      assert.equal(heard.reset?.code, -1, "the open stream heard that the connection went away");
      assert.equal(s.connection.active, 0);
    } else {
      assert.ok(s.connection.active <= 1);
      s.connection.destroy();
    }
  }), { numRuns: 150 });
});

// Frames that are always fine on a ready connection with stream 1 open.
const noise = fc.oneof(
  fc.uint8Array({ minLength: 8, maxLength: 8 }).map((p) => frame(T.PING, 0, 0, Buffer.from(p))),
  fc.record({ type: fc.integer({ min: 10, max: 255 }), flags: fc.integer({ min: 0, max: 255 }), id: fc.integer({ min: 0, max: 2 ** 31 - 1 }), payload: fc.uint8Array({ maxLength: 100 }) })
    .map((f) => frame(f.type, f.flags, f.id, Buffer.from(f.payload))),
  fc.integer({ min: 1, max: 2 ** 31 - 1 }).map((id) => frame(T.PRIORITY, 0, id, Buffer.from([0, 0, 0, 0, 16]))),
  fc.integer({ min: 1, max: 1000 }).map((n) => frame(T.WINDOW_UPDATE, 0, 0, u32(n))),
  fc.integer({ min: 1, max: 1000 }).map((n) => frame(T.WINDOW_UPDATE, 0, 1, u32(n))),
  fc.record({ streams: fc.integer({ min: 0, max: 1000 }), table: fc.integer({ min: 0, max: 8192 }), window: fc.integer({ min: 0, max: 1 << 20 }) })
    .map((v) => settingsFrame([[S.MAX_CONCURRENT_STREAMS, v.streams], [S.HEADER_TABLE_SIZE, v.table], [S.INITIAL_WINDOW_SIZE, v.window], [0x77, 1]])),
  fc.constant(frame(T.SETTINGS, F.ACK, 0)),
);

const bytesOf = (min: number, max: number) => fc.integer({ min, max }).map((n) => Buffer.alloc(n, 0));
const nonZero = fc.integer({ min: 1, max: 2 ** 31 - 1 });

// One illegal frame and the connection error code RFC 9113 gives it.
const violation: fc.Arbitrary<[Buffer, number, string]> = fc.oneof(
  bytesOf(0, 50).map((p) => [frame(T.DATA, 0, 0, p), E.PROTOCOL_ERROR, 'DATA on stream 0'] as [Buffer, number, string]),
  fc.integer({ min: 1, max: 1000 }).map((k) => [frame(T.DATA, 0, 2 * k, Buffer.alloc(1)), E.PROTOCOL_ERROR, 'DATA on an even stream'] as [Buffer, number, string]),
  fc.tuple(nonZero, bytesOf(0, 20)).map(([id, p]) => [frame(T.PING, 0, id, p), E.PROTOCOL_ERROR, 'PING on a stream'] as [Buffer, number, string]),
  bytesOf(0, 20).filter((p) => p.length !== 8).map((p) => [frame(T.PING, 0, 0, p), E.FRAME_SIZE_ERROR, 'PING not 8 bytes'] as [Buffer, number, string]),
  fc.constant([frame(T.RST_STREAM, 0, 0, u32(0)), E.PROTOCOL_ERROR, 'RST_STREAM on stream 0'] as [Buffer, number, string]),
  bytesOf(0, 20).filter((p) => p.length !== 4).map((p) => [frame(T.RST_STREAM, 0, 1, p), E.FRAME_SIZE_ERROR, 'RST_STREAM not 4 bytes'] as [Buffer, number, string]),
  bytesOf(1, 30).map((p) => [frame(T.SETTINGS, F.ACK, 0, p), E.FRAME_SIZE_ERROR, 'SETTINGS ACK with payload'] as [Buffer, number, string]),
  bytesOf(1, 40).filter((p) => p.length % 6 !== 0).map((p) => [frame(T.SETTINGS, 0, 0, p), E.FRAME_SIZE_ERROR, 'SETTINGS length'] as [Buffer, number, string]),
  nonZero.map((id) => [frame(T.SETTINGS, 0, id), E.PROTOCOL_ERROR, 'SETTINGS on a stream'] as [Buffer, number, string]),
  fc.integer({ min: 1, max: 2 ** 32 - 1 }).map((v) => [settingsFrame([[S.ENABLE_PUSH, v]]), E.PROTOCOL_ERROR, 'ENABLE_PUSH'] as [Buffer, number, string]),
  fc.tuple(fc.constantFrom(0, 1), bytesOf(0, 20).filter((p) => p.length !== 4)).map(([id, p]) => [frame(T.WINDOW_UPDATE, 0, id, p), E.FRAME_SIZE_ERROR, 'WINDOW_UPDATE length'] as [Buffer, number, string]),
  fc.constant([frame(T.WINDOW_UPDATE, 0, 0, u32(0)), E.PROTOCOL_ERROR, 'WINDOW_UPDATE 0 on the connection'] as [Buffer, number, string]),
  nonZero.map((id) => [frame(T.GOAWAY, 0, id, u32(0, 0)), E.PROTOCOL_ERROR, 'GOAWAY on a stream'] as [Buffer, number, string]),
  fc.constant([frame(T.PUSH_PROMISE, F.END_HEADERS, 1, Buffer.from([0, 0, 0, 2, 0x82])), E.PROTOCOL_ERROR, 'PUSH_PROMISE'] as [Buffer, number, string]),
  fc.integer({ min: MAX_FRAME + 1, max: MAX_FRAME + 100 }).map((n) => [frame(T.DATA, 0, 1, Buffer.alloc(n)), E.FRAME_SIZE_ERROR, 'oversized frame'] as [Buffer, number, string]),
  fc.constant([frame(T.DATA, F.PADDED, 1), E.FRAME_SIZE_ERROR, 'empty PADDED DATA'] as [Buffer, number, string]),
  fc.constant([Buffer.concat([frame(T.HEADERS, 0, 1, STATUS_200), frame(T.PING, 0, 0, Buffer.alloc(8))]), E.PROTOCOL_ERROR, 'frame inside a header block'] as [Buffer, number, string]),
  fc.constant([frame(T.CONTINUATION, F.END_HEADERS, 1), E.PROTOCOL_ERROR, 'CONTINUATION without HEADERS'] as [Buffer, number, string]),
  fc.constant([frame(T.HEADERS, F.END_HEADERS, 1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])), E.COMPRESSION_ERROR, 'bad HPACK'] as [Buffer, number, string]),
);

test('random legal frames are processed and the connection stays up', async () => {
  await fc.assert(fc.asyncProperty(fc.array(noise, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 10 }), async (frames, cuts) => {
    const s = await scripted();
    s.request(Buffer.from('{}'));
    for (const chunk of chunked(Buffer.concat(frames), cuts)) s.send(chunk);
    const seen = await s.sync();
    assert.deepEqual(seen.filter((f) => f.type === T.GOAWAY || f.type === T.RST_STREAM), []);
    assert.equal(s.connection.isClosed, false);
    s.connection.destroy();
  }), { numRuns: 150 });
});

test('one illegal frame among legal ones ends the connection with exactly its error code', async () => {
  await fc.assert(fc.asyncProperty(fc.array(noise, { maxLength: 10 }), violation, fc.array(noise, { maxLength: 5 }), fc.array(fc.nat(), { maxLength: 6 }), async (before, [bad, code, what], after, cuts) => {
    const s = await scripted();
    const { heard } = s.request(Buffer.from('{}'));
    for (const chunk of chunked(Buffer.concat([...before, bad, ...after]), cuts)) s.send(chunk);
    const goaway = await s.goaway();
    assert.equal(goaway.code, code, `${what}: GOAWAY ${goaway.code} (${goaway.debug})`);
    const { cause } = await s.closed;
    assert.equal(cause?.code, code);
    assert.equal(heard.reset?.code, -1);
    assert.equal(heard.reset?.cause?.code, code);
    await s.untilEnded();
  }), { numRuns: 200 });
});
