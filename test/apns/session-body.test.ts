// A response reaches the outcome as the server wrote it, however its DATA frames cut it; one
// that breaks HTTP/2 is reset, and the outcome says what was wrong with it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TRANSPORT_NAMES } from '../../src/apns/transport/transport.ts';
import { detailOf, deviceToken, reasonOf } from './fixtures.ts';
import { clientFor, frame, rawFrameServer } from './h2-test-server.ts';

const HEADERS = 0x1;
const DATA = 0x0;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
/** HPACK static table entry 12: `:status 400`. */
const STATUS_400 = Buffer.from([0x8c]);

for (const transport of TRANSPORT_NAMES) describe(`over ${transport}`, () => {
  test('a UTF-8 character split across two DATA frames reads as itself in the reason, not as U+FFFD', async () => {
    const body = Buffer.from('{"reason":"Jeton refusé"}');
    const cut = body.indexOf(0xa9); // the second byte of é (0xc3 0xa9)
    const server = await rawFrameServer((id, socket) => {
      socket.write(Buffer.concat([
        frame(HEADERS, END_HEADERS, id, STATUS_400),
        frame(DATA, 0, id, body.subarray(0, cut)),
        frame(DATA, END_STREAM, id, body.subarray(cut)),
      ]));
    });
    const client = await clientFor(server, transport);
    const outcome = await client.send({ token: deviceToken(1), payload: '{}' });
    assert.equal(outcome.class, 'rejected');
    assert.equal(reasonOf(outcome), 'Jeton refusé');
  });

  test('a response without :status is a StreamReset retry whose detail names the problem, not a server failure', async () => {
    // HPACK literal without indexing, new name: `apns-id: x` and nothing else.
    const block = Buffer.concat([Buffer.from([0x00, 7]), Buffer.from('apns-id'), Buffer.from([1]), Buffer.from('x')]);
    const server = await rawFrameServer((id, socket) => socket.write(frame(HEADERS, END_HEADERS | END_STREAM, id, block)));
    const client = await clientFor(server, transport);
    const outcome = await client.send({ token: deviceToken(1), payload: '{}' });
    assert.deepEqual([outcome.class, reasonOf(outcome)], ['retry', 'StreamReset']);
    // nghttp2 resets it without saying why; certpush's wire says.
    if (transport === 'certpush') assert.match(detailOf(outcome), /certpush reset the request stream with RST_STREAM PROTOCOL_ERROR: HTTP\/2 protocol error detected by certpush: PROTOCOL_ERROR \(malformed response: no :status pseudo-header\)/);
  });
});
