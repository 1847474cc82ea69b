// A response body reaches the outcome as the server wrote it, however its DATA frames cut it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TRANSPORT_NAMES } from '../../src/apns/transport/transport.ts';
import { deviceToken, reasonOf } from './fixtures.ts';
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
});
