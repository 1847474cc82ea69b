// certpush's HTTP/2 client against the client MUSTs of RFC 9113 §§3–6, 8.1–8.3 and RFC 7541 §4.2,
// one test per rule: a scripted server sends exact bytes and checks the client's exact frames.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { E, F, frame, headersFrame, S, ScriptedServer, scripted, settingsFrame, STATUS_200, T, u32 } from './scripted-server.ts';

async function connectionError(s: ScriptedServer, code: number): Promise<void> {
  const goaway = await s.goaway();
  assert.equal(goaway.code, code, `GOAWAY code ${goaway.code} (${goaway.debug}), expected ${code}`);
  assert.equal(goaway.lastStreamId, 0);
  const { cause, error } = await s.closed;
  assert.equal(cause?.by, 'certpush');
  assert.equal(cause?.code, code);
  assert.match(error!.message, /protocol error detected by certpush/);
  await s.untilEnded();
}

async function streamError(s: ScriptedServer, id: number, code: number): Promise<void> {
  const rst = await s.rst();
  assert.deepEqual(rst, { id, code });
  // The connection goes on.
  await s.sync();
  assert.equal(s.connection.isClosed, false);
}

// --- §3.4 the connection preface ---

test('§3.4: the client starts with the preface and SETTINGS disabling push and advertising its header list limit', async () => {
  const s = new ScriptedServer();
  const first = await s.next();
  assert.equal(first.type, T.SETTINGS);
  assert.equal(first.flags, 0);
  const settings = new Map<number, number>();
  for (let at = 0; at < first.payload.length; at += 6) settings.set(first.payload.readUInt16BE(at), first.payload.readUInt32BE(at + 2));
  assert.equal(settings.get(S.ENABLE_PUSH), 0);
  assert.equal(settings.get(S.MAX_HEADER_LIST_SIZE), 65_536);
  assert.ok(settings.has(S.INITIAL_WINDOW_SIZE));
  s.connection.destroy();
});

test('§3.4: a first server frame other than SETTINGS is a connection error PROTOCOL_ERROR', async () => {
  const s = new ScriptedServer();
  await s.expect(T.SETTINGS);
  s.send(frame(T.PING, 0, 0, Buffer.alloc(8)));
  await connectionError(s, E.PROTOCOL_ERROR);
  assert.equal(s.events.includes('ready'), false);
});

// --- §4 frames ---

test('§4.1: frames of an unknown type are ignored', async () => {
  const s = await scripted();
  s.send(frame(0xfa, 0xff, 0, Buffer.from('whatever')), frame(0xfb, 0, 1, Buffer.alloc(3)));
  await s.sync();
  assert.equal(s.connection.isClosed, false);
});

test('§4.2: a frame above our SETTINGS_MAX_FRAME_SIZE is a connection error FRAME_SIZE_ERROR', async () => {
  const s = await scripted();
  s.send(frame(T.DATA, 0, 1, Buffer.alloc(16_385)));
  await connectionError(s, E.FRAME_SIZE_ERROR);
});

test('§4.2: the client splits a header block larger than the server\'s MAX_FRAME_SIZE into CONTINUATION frames', async () => {
  const s = await scripted();
  const big = 'v'.repeat(40_000);
  s.request(Buffer.alloc(0), (out, at) => {
    const block = Buffer.from([0x00, 0x05, ...Buffer.from('x-big'), 0x7f, ...varint(big.length - 127), ...Buffer.from(big)]);
    return at + block.copy(out, at);
  }, 41_000);
  const head = await s.expect(T.HEADERS);
  assert.equal(head.payload.length, 16_384);
  assert.equal(head.flags & F.END_HEADERS, 0);
  const c1 = await s.next();
  const c2 = await s.next();
  assert.deepEqual([c1.type, c1.flags & F.END_HEADERS, c1.payload.length], [T.CONTINUATION, 0, 16_384]);
  assert.deepEqual([c2.type, c2.flags & F.END_HEADERS, c2.id], [T.CONTINUATION, F.END_HEADERS, 1]);
});

test('§4.2: the client sends frames up to the server\'s SETTINGS_MAX_FRAME_SIZE and never above', async () => {
  for (const [settings, limit] of [[[], 16_384], [[[S.MAX_FRAME_SIZE, 20_000]], 20_000]] as Array<[Array<[number, number]>, number]>) {
    const s = await scripted([...settings, [S.INITIAL_WINDOW_SIZE, 1 << 20]]);
    s.send(frame(T.WINDOW_UPDATE, 0, 0, u32(1 << 20)));
    await s.sync();
    s.request(Buffer.alloc(50_000, 'd'));
    const sizes: number[] = [];
    for (let sent = 0; sent < 50_000;) {
      const f = await s.expect(T.DATA);
      sizes.push(f.payload.length);
      sent += f.payload.length;
    }
    assert.equal(Math.max(...sizes), limit);
    s.connection.destroy();
  }
});

// --- §5.1 stream states ---

test('§5.1: DATA on a stream the client never opened is a connection error PROTOCOL_ERROR', async () => {
  const s = await scripted();
  s.send(frame(T.DATA, 0, 5, Buffer.from('x')));
  await connectionError(s, E.PROTOCOL_ERROR);
});

test('§5.1: HEADERS on an even (server-initiated) stream is a connection error PROTOCOL_ERROR', async () => {
  const s = await scripted();
  s.send(frame(T.HEADERS, F.END_HEADERS, 2, STATUS_200));
  await connectionError(s, E.PROTOCOL_ERROR);
});

test('§5.1: RST_STREAM on an idle stream is a connection error PROTOCOL_ERROR', async () => {
  const s = await scripted();
  s.send(frame(T.RST_STREAM, 0, 3, u32(E.CANCEL)));
  await connectionError(s, E.PROTOCOL_ERROR);
});

test('§5.1: after the client resets a stream, late frames on it are ignored and its slot is free', async () => {
  const s = await scripted([[S.MAX_CONCURRENT_STREAMS, 1]]);
  const { id, heard } = s.request(Buffer.from('{}'));
  assert.equal(s.connection.canOpenStream, false);
  s.connection.cancel(id, E.CANCEL);
  assert.equal(s.connection.active, 0);
  assert.equal(s.connection.canOpenStream, true);
  assert.deepEqual(await s.rst(), { id, code: E.CANCEL });
  s.send(frame(T.HEADERS, F.END_HEADERS, id, STATUS_200), frame(T.DATA, 0, id, Buffer.from('late')), frame(T.WINDOW_UPDATE, 0, id, u32(10)), frame(T.RST_STREAM, 0, id, u32(E.CANCEL)));
  const after = await s.sync();
  assert.deepEqual(after.filter((f) => f.type === T.RST_STREAM || f.type === T.GOAWAY), []);
  assert.deepEqual(heard, { headers: [], data: [], ended: false, reset: undefined });
});

test('§5.1: DATA after the server ended the stream is a stream error STREAM_CLOSED', async () => {
  const s = await scripted();
  const { id, heard } = s.request();
  s.send(frame(T.HEADERS, F.END_HEADERS | F.END_STREAM, id, STATUS_200), frame(T.DATA, 0, id, Buffer.from('late')));
  assert.deepEqual(await s.rst(), { id, code: E.STREAM_CLOSED });
  assert.deepEqual(heard.data, []);
  assert.equal(s.connection.isClosed, false);
});

test('§5.1: HEADERS after the server reset the stream is a stream error STREAM_CLOSED', async () => {
  const s = await scripted();
  const { id } = s.request();
  s.send(frame(T.RST_STREAM, 0, id, u32(E.CANCEL)), frame(T.HEADERS, F.END_HEADERS, id, STATUS_200));
  assert.deepEqual(await s.rst(), { id, code: E.STREAM_CLOSED });
  await s.sync();
  assert.equal(s.connection.isClosed, false);
});

test('§5.1.1: when stream ids run out the connection takes no new streams, says it is exhausted, and closes once idle', async () => {
  const s = await scripted([], { maxStreamId: 5 });
  s.request();
  s.request();
  assert.equal(s.connection.canOpenStream, true);
  const last = s.request();
  assert.equal(last.id, 5);
  assert.equal(s.connection.exhausted, true);
  assert.equal(s.connection.canOpenStream, false);
  await new Promise((resolve) => process.nextTick(resolve));
  assert.ok(s.events.includes('exhausted'));
  assert.throws(() => s.request(), /no HTTP\/2 stream ids left/);
  for (const id of [1, 3, 5]) s.send(frame(T.HEADERS, F.END_HEADERS | F.END_STREAM, id, STATUS_200));
  const goaway = await s.goaway();
  assert.equal(goaway.code, E.NO_ERROR);
  const { cause } = await s.closed;
  assert.deepEqual([cause?.by, cause?.codeName, cause?.detail], ['certpush', 'NO_ERROR', 'stream ids used up']);
  await s.untilEnded();
});

test('§5.1.2: the client opens no more streams than the server\'s SETTINGS_MAX_CONCURRENT_STREAMS, and follows changes', async () => {
  const s = await scripted([[S.MAX_CONCURRENT_STREAMS, 2]]);
  s.request();
  s.request();
  assert.equal(s.connection.canOpenStream, false);
  s.send(settingsFrame([[S.MAX_CONCURRENT_STREAMS, 3]]));
  await s.sync();
  assert.equal(s.connection.canOpenStream, true);
});

// --- §5.4 error handling ---

test('§5.4.1: a connection error\'s GOAWAY reaches the peer before the client ends the socket', async () => {
  const s = await scripted();
  const { heard } = s.request();
  s.send(frame(T.PING, 0, 1, Buffer.alloc(8)));
  await connectionError(s, E.PROTOCOL_ERROR);
  assert.equal(heard.reset?.code, -1);
  assert.equal(heard.reset?.cause?.by, 'certpush');
  assert.equal(heard.reset?.cause?.codeName, 'PROTOCOL_ERROR');
});

test('§5.4.1: a bad HPACK block is a connection error COMPRESSION_ERROR, and the streams hear why', async () => {
  const s = await scripted();
  const { id, heard } = s.request();
  s.send(frame(T.HEADERS, F.END_HEADERS, id, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])));
  await connectionError(s, E.COMPRESSION_ERROR);
  assert.equal(heard.reset?.cause?.codeName, 'COMPRESSION_ERROR');
  assert.equal(s.connection.closeCause?.by, 'certpush');
});

// --- §6.1 DATA ---

test('§6.1: DATA on stream 0 is a connection error PROTOCOL_ERROR', async () => {
  const s = await scripted();
  s.send(frame(T.DATA, 0, 0, Buffer.from('x')));
  await connectionError(s, E.PROTOCOL_ERROR);
});

test('§6.1: padded DATA delivers only the data', async () => {
  const s = await scripted();
  const { id, heard } = s.request();
  s.send(frame(T.HEADERS, F.END_HEADERS, id, STATUS_200), frame(T.DATA, F.PADDED | F.END_STREAM, id, Buffer.from([3, ...Buffer.from('ok'), 0, 0, 0])));
  await s.sync();
  assert.equal(Buffer.concat(heard.data).toString(), 'ok');
  assert.equal(heard.ended, true);
});

test('§6.1: padding as long as the DATA payload is a connection error PROTOCOL_ERROR', async () => {
  const s = await scripted();
  const { id } = s.request();
  s.send(frame(T.HEADERS, F.END_HEADERS, id, STATUS_200), frame(T.DATA, F.PADDED, id, Buffer.from([3, 0, 0])));
  await connectionError(s, E.PROTOCOL_ERROR);
});

test('§6.1: a zero-length PADDED DATA frame is a FRAME_SIZE_ERROR, not read past its end', async () => {
  const s = await scripted();
  const { id } = s.request();
  // Were the Pad Length read past the frame, it would be the next frame's first byte (0).
  s.send(frame(T.HEADERS, F.END_HEADERS, id, STATUS_200), frame(T.DATA, F.PADDED, id), frame(T.PING, 0, 0, Buffer.alloc(8)));
  await connectionError(s, E.FRAME_SIZE_ERROR);
});

// --- §6.2 HEADERS ---

test('§6.2: HEADERS on stream 0 is a connection error PROTOCOL_ERROR', async () => {
  const s = await scripted();
  s.send(frame(T.HEADERS, F.END_HEADERS, 0, STATUS_200));
  await connectionError(s, E.PROTOCOL_ERROR);
});

test('§6.2: HEADERS with PRIORITY and PADDED deliver just the header block', async () => {
  const s = await scripted();
  const { id, heard } = s.request();
  s.send(frame(T.HEADERS, F.END_HEADERS | F.END_STREAM | F.PRIORITY | F.PADDED, id, Buffer.from([2, 0, 0, 0, 0, 16, 0x88, 0, 0])));
  await s.sync();
  assert.deepEqual(heard.headers, [[':status', '200']]);
});

test('§6.2: a PADDED HEADERS frame too short for its Pad Length and priority is a FRAME_SIZE_ERROR', async () => {
  const s = await scripted();
  const { id } = s.request();
  s.send(frame(T.HEADERS, F.END_HEADERS | F.PADDED | F.PRIORITY, id, Buffer.from([0, 0, 0])));
  await connectionError(s, E.FRAME_SIZE_ERROR);
});

// --- §6.3 PRIORITY ---

test('§6.3: PRIORITY is ignored, but one not 5 bytes long is a stream error FRAME_SIZE_ERROR', async () => {
  const s = await scripted();
  const { id } = s.request();
  s.send(frame(T.PRIORITY, 0, id, Buffer.alloc(5)));
  await s.sync();
  s.send(frame(T.PRIORITY, 0, id, Buffer.alloc(4)));
  await streamError(s, id, E.FRAME_SIZE_ERROR);
});

// --- §6.4 RST_STREAM ---

test('§6.4: RST_STREAM not 4 bytes long is a connection error FRAME_SIZE_ERROR', async () => {
  const s = await scripted();
  const { id } = s.request();
  s.send(frame(T.RST_STREAM, 0, id, Buffer.alloc(5)));
  await connectionError(s, E.FRAME_SIZE_ERROR);
});

test('§6.4: RST_STREAM on stream 0 is a connection error PROTOCOL_ERROR', async () => {
  const s = await scripted();
  s.send(frame(T.RST_STREAM, 0, 0, u32(E.CANCEL)));
  await connectionError(s, E.PROTOCOL_ERROR);
});

test('§6.4: the server\'s RST_STREAM(INTERNAL_ERROR) reaches the stream with its code, marked as the peer\'s', async () => {
  const s = await scripted();
  const { id, heard } = s.request();
  s.send(frame(T.RST_STREAM, 0, id, u32(E.INTERNAL_ERROR)));
  await s.sync();
  assert.equal(heard.reset?.code, E.INTERNAL_ERROR);
  assert.equal(heard.reset?.unprocessed, false);
  assert.deepEqual([heard.reset?.cause?.by, heard.reset?.cause?.codeName], ['peer', 'INTERNAL_ERROR']);
  assert.equal(s.connection.active, 0);
});

test('§8.7: RST_STREAM(REFUSED_STREAM) marks the stream unprocessed', async () => {
  const s = await scripted();
  const { id, heard } = s.request();
  s.send(frame(T.RST_STREAM, 0, id, u32(E.REFUSED_STREAM)));
  await s.sync();
  assert.deepEqual([heard.reset?.code, heard.reset?.unprocessed], [E.REFUSED_STREAM, true]);
});

// --- §6.5 SETTINGS ---

test('§6.5: the client acknowledges every SETTINGS frame with an empty ACK', async () => {
  const s = await scripted();
  s.send(settingsFrame([[S.MAX_CONCURRENT_STREAMS, 7]]));
  const ack = await s.expect(T.SETTINGS);
  assert.deepEqual([ack.flags, ack.payload.length], [F.ACK, 0]);
});

test('§6.5: a SETTINGS ACK with a payload is a connection error FRAME_SIZE_ERROR', async () => {
  const s = await scripted();
  s.send(frame(T.SETTINGS, F.ACK, 0, Buffer.alloc(6)));
  await connectionError(s, E.FRAME_SIZE_ERROR);
});

test('§6.5: SETTINGS whose length is not a multiple of 6 is a connection error FRAME_SIZE_ERROR', async () => {
  const s = await scripted();
  s.send(frame(T.SETTINGS, 0, 0, Buffer.alloc(7)));
  await connectionError(s, E.FRAME_SIZE_ERROR);
});

test('§6.5: SETTINGS on a stream is a connection error PROTOCOL_ERROR', async () => {
  const s = await scripted();
  s.send(frame(T.SETTINGS, 0, 1, Buffer.alloc(0)));
  await connectionError(s, E.PROTOCOL_ERROR);
});

test('§6.5.2: ENABLE_PUSH 1 from a server is a connection error PROTOCOL_ERROR', async () => {
  const s = await scripted();
  s.send(settingsFrame([[S.ENABLE_PUSH, 1]]));
  await connectionError(s, E.PROTOCOL_ERROR);
});

test('§6.5.2: INITIAL_WINDOW_SIZE above 2^31-1 is a connection error FLOW_CONTROL_ERROR', async () => {
  const s = await scripted();
  s.send(settingsFrame([[S.INITIAL_WINDOW_SIZE, 2 ** 31]]));
  await connectionError(s, E.FLOW_CONTROL_ERROR);
});

test('§6.5.2: MAX_FRAME_SIZE outside 2^14..2^24-1 is a connection error PROTOCOL_ERROR', async () => {
  const s = await scripted();
  s.send(settingsFrame([[S.MAX_FRAME_SIZE, 16_383]]));
  await connectionError(s, E.PROTOCOL_ERROR);
});

test('§6.5.2: unknown settings are ignored', async () => {
  const s = await scripted();
  s.send(settingsFrame([[0x99, 12345], [0x0, 1]]));
  const ack = await s.expect(T.SETTINGS);
  assert.equal(ack.flags, F.ACK);
  assert.equal(s.connection.isClosed, false);
});

// --- §6.6 PUSH_PROMISE ---

test('§6.6: PUSH_PROMISE after we disabled push is a connection error PROTOCOL_ERROR', async () => {
  const s = await scripted();
  const { id } = s.request();
  s.send(frame(T.PUSH_PROMISE, F.END_HEADERS, id, Buffer.from([0, 0, 0, 2, 0x82])));
  await connectionError(s, E.PROTOCOL_ERROR);
});

// --- §6.7 PING ---

test('§6.7: a PING is answered with an ACK carrying the same 8 bytes', async () => {
  const s = await scripted();
  s.send(frame(T.PING, 0, 0, Buffer.from('12345678')));
  const ack = await s.expect(T.PING);
  assert.deepEqual([ack.flags, ack.payload.toString()], [F.ACK, '12345678']);
});

test('§6.7: PING on a stream is a connection error PROTOCOL_ERROR', async () => {
  const s = await scripted();
  s.send(frame(T.PING, 0, 1, Buffer.alloc(8)));
  await connectionError(s, E.PROTOCOL_ERROR);
});

test('§6.7: PING not 8 bytes long is a connection error FRAME_SIZE_ERROR', async () => {
  const s = await scripted();
  s.send(frame(T.PING, 0, 0, Buffer.alloc(7)));
  await connectionError(s, E.FRAME_SIZE_ERROR);
});

// --- §6.8 GOAWAY ---

test('§6.8: after GOAWAY, streams above its last stream id are unprocessed and those below still finish', async () => {
  const s = await scripted();
  const a = s.request();
  const b = s.request();
  s.send(frame(T.GOAWAY, 0, 0, Buffer.concat([u32(a.id, E.NO_ERROR), Buffer.from('{"reason":"Shutdown"}')])));
  await s.sync();
  assert.deepEqual([b.heard.reset?.code, b.heard.reset?.unprocessed], [E.REFUSED_STREAM, true]);
  assert.equal(s.connection.canOpenStream, false);
  s.send(frame(T.HEADERS, F.END_HEADERS | F.END_STREAM, a.id, STATUS_200));
  assert.equal((await s.goaway()).code, E.NO_ERROR);
  assert.deepEqual(a.heard.headers, [[':status', '200']]);
  const { cause } = await s.closed;
  assert.deepEqual([cause?.by, cause?.codeName, cause?.detail], ['peer', 'NO_ERROR', 'GOAWAY {"reason":"Shutdown"}']);
  await s.untilEnded();
});

test('§6.8: GOAWAY on a stream is a connection error PROTOCOL_ERROR', async () => {
  const s = await scripted();
  s.send(frame(T.GOAWAY, 0, 1, u32(0, 0)));
  await connectionError(s, E.PROTOCOL_ERROR);
});

test('§6.8: close() after the server\'s GOAWAY with streams still open sends GOAWAY and ends the socket', async () => {
  const s = await scripted();
  const a = s.request();
  s.send(frame(T.GOAWAY, 0, 0, u32(a.id, E.NO_ERROR)));
  await s.sync();
  assert.equal(s.connection.active, 1);
  s.connection.close();
  assert.equal((await s.goaway()).code, E.NO_ERROR);
  await s.untilEnded();
  assert.equal(a.heard.reset?.code, -1);
  assert.equal(s.connection.isClosed, true);
});

test('§6.8: a server GOAWAY with an error code closes with that code, marked as the peer\'s', async () => {
  const s = await scripted();
  s.send(frame(T.GOAWAY, 0, 0, Buffer.concat([u32(0, E.ENHANCE_YOUR_CALM), Buffer.from('slow down')])));
  const { cause, error } = await s.closed;
  assert.deepEqual([cause?.by, cause?.codeName, cause?.detail], ['peer', 'ENHANCE_YOUR_CALM', 'GOAWAY slow down']);
  assert.match(error!.message, /the server sent ENHANCE_YOUR_CALM/);
});

// --- §6.9 flow control ---

test('§6.9: WINDOW_UPDATE of 0 on a stream is a stream error PROTOCOL_ERROR, not a connection error', async () => {
  const s = await scripted();
  const { id, heard } = s.request();
  s.send(frame(T.WINDOW_UPDATE, 0, id, u32(0)));
  await streamError(s, id, E.PROTOCOL_ERROR);
  assert.deepEqual([heard.reset?.code, heard.reset?.cause?.by], [E.PROTOCOL_ERROR, 'certpush']);
});

test('§6.9: WINDOW_UPDATE of 0 on the connection is a connection error PROTOCOL_ERROR', async () => {
  const s = await scripted();
  s.send(frame(T.WINDOW_UPDATE, 0, 0, u32(0)));
  await connectionError(s, E.PROTOCOL_ERROR);
});

test('§6.9: WINDOW_UPDATE not 4 bytes long is a connection error FRAME_SIZE_ERROR', async () => {
  const s = await scripted();
  s.send(frame(T.WINDOW_UPDATE, 0, 0, Buffer.alloc(3)));
  await connectionError(s, E.FRAME_SIZE_ERROR);
});

test('§6.9.1: a stream window pushed past 2^31-1 is a stream error FLOW_CONTROL_ERROR', async () => {
  const s = await scripted();
  const { id } = s.request();
  s.send(frame(T.WINDOW_UPDATE, 0, id, u32(2 ** 31 - 1)));
  await streamError(s, id, E.FLOW_CONTROL_ERROR);
});

test('§6.9.1: the connection window pushed past 2^31-1 is a connection error FLOW_CONTROL_ERROR', async () => {
  const s = await scripted();
  s.send(frame(T.WINDOW_UPDATE, 0, 0, u32(2 ** 31 - 1)));
  await connectionError(s, E.FLOW_CONTROL_ERROR);
});

test('§6.9.2: an INITIAL_WINDOW_SIZE change that pushes a stream window past 2^31-1 is a connection error FLOW_CONTROL_ERROR', async () => {
  const s = await scripted();
  const { id } = s.request(Buffer.alloc(0));
  s.send(frame(T.WINDOW_UPDATE, 0, id, u32(2 ** 31 - 1 - 65_535)));
  await s.sync();
  s.send(settingsFrame([[S.INITIAL_WINDOW_SIZE, 65_536]]));
  await connectionError(s, E.FLOW_CONTROL_ERROR);
});

test('§6.9.1: the client sends no more DATA than the stream window allows, and resumes on WINDOW_UPDATE', async () => {
  const s = await scripted([[S.INITIAL_WINDOW_SIZE, 10]]);
  const { id } = s.request(Buffer.from('0123456789abcdef'));
  const first = await s.expect(T.DATA);
  assert.deepEqual([first.payload.toString(), first.flags & F.END_STREAM], ['0123456789', 0]);
  assert.deepEqual((await s.sync()).filter((f) => f.type === T.DATA), []);
  s.send(frame(T.WINDOW_UPDATE, 0, id, u32(6)));
  const rest = await s.expect(T.DATA);
  assert.deepEqual([rest.payload.toString(), rest.flags & F.END_STREAM], ['abcdef', F.END_STREAM]);
});

test('§6.9.2: a lower INITIAL_WINDOW_SIZE can make a window negative; sending waits until it is positive again', async () => {
  const s = await scripted([[S.INITIAL_WINDOW_SIZE, 4]]);
  const { id } = s.request(Buffer.from('abcdefgh'));
  assert.equal((await s.expect(T.DATA)).payload.toString(), 'abcd');
  s.send(settingsFrame([[S.INITIAL_WINDOW_SIZE, 0]])); // window 0 - 4 = -4
  await s.sync();
  s.send(frame(T.WINDOW_UPDATE, 0, id, u32(4))); // back to 0: still nothing
  assert.deepEqual((await s.sync()).filter((f) => f.type === T.DATA), []);
  s.send(frame(T.WINDOW_UPDATE, 0, id, u32(4)));
  assert.equal((await s.expect(T.DATA)).payload.toString(), 'efgh');
});

test('§6.9: the client replenishes a stream\'s receive window and the connection\'s as response data is read', async () => {
  const s = await scripted([], { streamReceiveWindow: 1000, connectionReceiveWindow: 70_000 });
  const { id, heard } = s.request();
  s.send(frame(T.HEADERS, F.END_HEADERS, id, STATUS_200));
  // 2,500 bytes through a 1,000-byte stream window: only possible if the client gives it back.
  const updates = new Map<number, number>();
  for (let sent = 0; sent < 2500;) {
    s.send(frame(T.DATA, 0, id, Buffer.alloc(500, 'x')));
    sent += 500;
    for (const f of await s.sync()) if (f.type === T.WINDOW_UPDATE) updates.set(f.id, (updates.get(f.id) ?? 0) + f.payload.readUInt32BE(0));
  }
  assert.ok((updates.get(id) ?? 0) >= 1500, `stream WINDOW_UPDATEs gave back ${updates.get(id)} bytes`);
  assert.equal(heard.reset, undefined);
  // The connection window (70,000) is replenished past half of it.
  for (let i = 0; i < 80; i++) s.send(frame(T.DATA, 0, id, Buffer.alloc(500, 'y')), ...(i % 2 ? [frame(T.WINDOW_UPDATE, 0, 0, u32(1))] : []));
  void heard;
  const seen = await s.sync();
  const connectionUpdates = seen.filter((f) => f.type === T.WINDOW_UPDATE && f.id === 0);
  assert.ok(connectionUpdates.length >= 1);
});

test('§6.9.1: DATA beyond the stream receive window the client advertised is a stream error FLOW_CONTROL_ERROR', async () => {
  const s = await scripted([], { streamReceiveWindow: 1000 });
  const { id } = s.request();
  s.send(frame(T.HEADERS, F.END_HEADERS, id, STATUS_200), frame(T.DATA, 0, id, Buffer.alloc(1001)));
  await streamError(s, id, E.FLOW_CONTROL_ERROR);
});

test('§6.9.1: DATA beyond the connection receive window is a connection error FLOW_CONTROL_ERROR', async () => {
  const s = await scripted([], { connectionReceiveWindow: 65_535 });
  const a = s.request();
  const b = s.request();
  s.send(frame(T.HEADERS, F.END_HEADERS, a.id, STATUS_200), frame(T.HEADERS, F.END_HEADERS, b.id, STATUS_200));
  // In one write, so the client has no chance to give the window back in between.
  const data = [];
  for (let i = 0; i < 3; i++) data.push(frame(T.DATA, 0, a.id, Buffer.alloc(16_000)), frame(T.DATA, 0, b.id, Buffer.alloc(16_000)));
  s.send(...data);
  await connectionError(s, E.FLOW_CONTROL_ERROR);
});

// --- §6.10 CONTINUATION ---

test('§6.10: a header block split over HEADERS and CONTINUATION is decoded whole', async () => {
  const s = await scripted();
  const { id, heard } = s.request();
  const block = Buffer.from([0x88, 0x00, 0x01, 0x78, 0x03, ...Buffer.from('abc')]);
  s.send(frame(T.HEADERS, F.END_STREAM, id, block.subarray(0, 3)), frame(T.CONTINUATION, 0, id, block.subarray(3, 5)), frame(T.CONTINUATION, F.END_HEADERS, id, block.subarray(5)));
  await s.sync();
  assert.deepEqual(heard.headers, [[':status', '200', 'x', 'abc']]);
});

test('§6.10: any frame between HEADERS and its CONTINUATION is a connection error PROTOCOL_ERROR', async () => {
  const s = await scripted();
  const { id } = s.request();
  s.send(frame(T.HEADERS, 0, id, STATUS_200), frame(T.PING, 0, 0, Buffer.alloc(8)));
  await connectionError(s, E.PROTOCOL_ERROR);
});

test('§6.10: CONTINUATION on another stream than its HEADERS is a connection error PROTOCOL_ERROR', async () => {
  const s = await scripted();
  const a = s.request();
  const b = s.request();
  s.send(frame(T.HEADERS, 0, a.id, STATUS_200), frame(T.CONTINUATION, F.END_HEADERS, b.id, Buffer.alloc(0)));
  await connectionError(s, E.PROTOCOL_ERROR);
});

test('§6.10 / CVE-2024-27316: an endless run of CONTINUATION frames is a connection error ENHANCE_YOUR_CALM', async () => {
  const s = await scripted();
  const { id } = s.request();
  const flood = [frame(T.HEADERS, 0, id, STATUS_200)];
  for (let i = 0; i < 100; i++) flood.push(frame(T.CONTINUATION, 0, id));
  s.send(...flood);
  await connectionError(s, E.ENHANCE_YOUR_CALM);
});

test('§6.10 / CVE-2024-27316: a header block above our limit is a connection error ENHANCE_YOUR_CALM before it is all held', async () => {
  const s = await scripted([], { maxHeaderListSize: 4096 });
  const { id } = s.request();
  s.send(frame(T.HEADERS, 0, id, Buffer.alloc(16_000, 0x88)), frame(T.CONTINUATION, 0, id, Buffer.alloc(16_000, 0x88)));
  await connectionError(s, E.ENHANCE_YOUR_CALM);
});

test('§6.5.2: a response whose decoded header list passes our MAX_HEADER_LIST_SIZE is a stream error', async () => {
  const s = await scripted([], { maxHeaderListSize: 200 });
  const { id, heard } = s.request();
  // 30 indexed fields of 32+ bytes each: 30 bytes on the wire, ~1,200 bytes decoded.
  s.send(frame(T.HEADERS, F.END_HEADERS | F.END_STREAM, id, Buffer.alloc(30, 0x88)));
  await streamError(s, id, E.PROTOCOL_ERROR);
  assert.match(heard.reset!.cause!.detail, /MAX_HEADER_LIST_SIZE/);
});

// --- §8.1 HTTP message framing ---

test('§8.1: a response ended while the request body is unsent gets RST_STREAM(NO_ERROR) and no more DATA', async () => {
  const s = await scripted([[S.INITIAL_WINDOW_SIZE, 5]]);
  const { id, heard } = s.request(Buffer.from('0123456789'));
  assert.equal((await s.expect(T.DATA)).payload.toString(), '01234');
  s.send(frame(T.HEADERS, F.END_HEADERS | F.END_STREAM, id, Buffer.from([0x8c]))); // :status 400
  assert.deepEqual(await s.rst(), { id, code: E.NO_ERROR });
  s.send(frame(T.WINDOW_UPDATE, 0, id, u32(100)));
  assert.deepEqual((await s.sync()).filter((f) => f.type === T.DATA), []);
  assert.deepEqual(heard.headers, [[':status', '400']]);
  assert.equal(s.connection.active, 0);
});

test('§8.1: DATA before the response\'s HEADERS is a stream error PROTOCOL_ERROR', async () => {
  const s = await scripted();
  const { id } = s.request();
  s.send(frame(T.DATA, 0, id, Buffer.from('x')));
  await streamError(s, id, E.PROTOCOL_ERROR);
});

test('§8.1: informational responses come before the final one', async () => {
  const s = await scripted();
  const { id, heard } = s.request();
  s.send(headersFrame(id, [[':status', '103'], ['link', '</a>']]), frame(T.HEADERS, F.END_HEADERS | F.END_STREAM, id, STATUS_200));
  await s.sync();
  assert.deepEqual(heard.headers, [[':status', '103', 'link', '</a>'], [':status', '200']]);
  assert.equal(heard.ended, true);
});

test('§8.1: an informational response with END_STREAM is malformed (stream error PROTOCOL_ERROR)', async () => {
  const s = await scripted();
  const { id } = s.request();
  s.send(headersFrame(id, [[':status', '100']], F.END_HEADERS | F.END_STREAM));
  await streamError(s, id, E.PROTOCOL_ERROR);
});

test('§8.1: trailers without END_STREAM are malformed (stream error PROTOCOL_ERROR)', async () => {
  const s = await scripted();
  const { id } = s.request();
  s.send(frame(T.HEADERS, F.END_HEADERS, id, STATUS_200), frame(T.DATA, 0, id, Buffer.from('x')), headersFrame(id, [['x-trailer', '1']]));
  await streamError(s, id, E.PROTOCOL_ERROR);
});

test('§8.1: trailers with END_STREAM end the response', async () => {
  const s = await scripted();
  const { id, heard } = s.request();
  s.send(frame(T.HEADERS, F.END_HEADERS, id, STATUS_200), frame(T.DATA, 0, id, Buffer.from('x')), headersFrame(id, [['x-trailer', '1']], F.END_HEADERS | F.END_STREAM));
  await s.sync();
  assert.deepEqual(heard.headers.at(-1), ['x-trailer', '1']);
  assert.equal(heard.ended, true);
});

test('§8.1.1: DATA that does not add up to the content-length is malformed (stream error PROTOCOL_ERROR)', async () => {
  const s = await scripted();
  const { id } = s.request();
  s.send(headersFrame(id, [[':status', '400'], ['content-length', '5']]), frame(T.DATA, F.END_STREAM, id, Buffer.from('abc')));
  await streamError(s, id, E.PROTOCOL_ERROR);
});

// --- §8.2, §8.3 fields ---

for (const [rule, fields] of [
  ['§8.2: an uppercase header name', [[':status', '200'], ['X-Upper', '1']]],
  ['§8.2.1: a header value with CR or LF', [[':status', '200'], ['x-v', 'a\r\nb']]],
  ['§8.2.1: a header value with leading whitespace', [[':status', '200'], ['x-v', ' a']]],
  ['§8.2.1: a colon inside a header name', [[':status', '200'], ['x:v', 'a']]],
  ['§8.2.2: a connection-specific header', [[':status', '200'], ['connection', 'close']]],
  ['§8.3: a pseudo-header after a regular one', [['x-a', '1'], [':status', '200']]],
  ['§8.3.2: a request pseudo-header in a response', [[':status', '200'], [':path', '/']]],
  ['§8.3.2: a response without :status', [['x-a', '1']]],
] as Array<[string, Array<[string, string]>]>) {
  test(`${rule} makes the response malformed: a stream error PROTOCOL_ERROR`, async () => {
    const s = await scripted();
    const { id, heard } = s.request();
    s.send(headersFrame(id, fields, F.END_HEADERS | F.END_STREAM));
    await streamError(s, id, E.PROTOCOL_ERROR);
    assert.deepEqual(heard.headers, []);
    assert.equal(heard.reset?.code, E.PROTOCOL_ERROR);
  });
}

test('§8.3: a pseudo-header in trailers makes the response malformed: a stream error PROTOCOL_ERROR', async () => {
  const s = await scripted();
  const { id } = s.request();
  s.send(frame(T.HEADERS, F.END_HEADERS, id, STATUS_200), headersFrame(id, [[':status', '200']], F.END_HEADERS | F.END_STREAM));
  await streamError(s, id, E.PROTOCOL_ERROR);
});

// --- RFC 7541 §4.2: dynamic table size ---

for (const [size, bytes] of [[0, [0x20]], [100, [0x3f, 0x45]]] as Array<[number, number[]]>) {
  test(`RFC 7541 §4.2: after SETTINGS_HEADER_TABLE_SIZE ${size}, the next header block starts with a size update to ${size}`, async () => {
    const s = await scripted([[S.HEADER_TABLE_SIZE, size]]);
    s.request();
    const first = await s.expect(T.HEADERS);
    assert.deepEqual([...first.payload.subarray(0, bytes.length)], bytes);
    s.request();
    const second = await s.expect(T.HEADERS);
    assert.equal(second.payload[0]! & 0xe0, 0x00, 'only the first block after the change carries the update');
  });
}

test('RFC 7541 §4.2: a change mid-connection is signalled in the next block, the smallest of several changes', async () => {
  const s = await scripted();
  s.request();
  assert.equal((await s.expect(T.HEADERS)).payload[0]! & 0xe0, 0x00);
  s.send(settingsFrame([[S.HEADER_TABLE_SIZE, 50]]), settingsFrame([[S.HEADER_TABLE_SIZE, 4096]]));
  await s.sync();
  s.request();
  const block = (await s.expect(T.HEADERS)).payload;
  assert.deepEqual([...block.subarray(0, 2)], [0x3f, 0x13]); // 31 + 19 = 50
  assert.notEqual(block[2]! & 0xe0, 0x20, 'one update, then the fields');
});

test('RFC 7541 §4.2: a raised setting is still answered with a size update (nghttp2 requires one), within the new size', async () => {
  const s = await scripted([[S.HEADER_TABLE_SIZE, 8192]]);
  s.request();
  const block = (await s.expect(T.HEADERS)).payload;
  assert.equal(block[0]! & 0xe0, 0x20);
});

// --- writing under backpressure ---

test('a slow reader stops the client writing DATA and opening streams until the socket drains', async () => {
  const s = await scripted([[S.INITIAL_WINDOW_SIZE, 2 ** 31 - 1]]);
  s.send(frame(T.WINDOW_UPDATE, 0, 0, u32(2 ** 31 - 1 - 65_535)));
  await s.sync();
  s.socket.pause();
  const body = Buffer.alloc(4 * 1024 * 1024, 'b');
  s.request(body);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(s.connection.canOpenStream, false, 'no new streams while the socket is full');
  s.socket.resume();
  let received = 0;
  for (;;) {
    const f = await s.expect(T.DATA, 5000);
    received += f.payload.length;
    if (f.flags & F.END_STREAM) break;
  }
  assert.equal(received, body.length);
  await s.sync();
  assert.equal(s.connection.canOpenStream, true);
  assert.ok(s.events.includes('settings'), 'the owner heard that there is room again');
});

function varint(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) { out.push((value & 0x7f) | 0x80); value = Math.floor(value / 128); }
  out.push(value);
  return out;
}

test('§10.5: a server flooding PINGs while reading nothing is a connection error ENHANCE_YOUR_CALM, with bounded buffering', async () => {
  const s = await scripted();
  s.socket.pause();
  const flood = Buffer.concat(Array.from({ length: 1000 }, () => frame(T.PING, 0, 0, Buffer.alloc(8))));
  for (let i = 0; i < 40 && !s.connection.isClosed; i++) {
    s.send(flood);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { cause } = await s.closed;
  assert.deepEqual([cause?.by, cause?.codeName], ['certpush', 'ENHANCE_YOUR_CALM']);
  s.socket.resume();
  assert.equal((await s.goaway()).code, E.ENHANCE_YOUR_CALM);
});
