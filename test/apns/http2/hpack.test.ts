import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EncoderTableSize, encodeHeaderBlock, HpackDecoder, HpackError, STATIC_TABLE } from '../../../src/apns/http2/hpack.ts';
import { huffmanDecode, huffmanEncode } from '../../../src/apns/http2/huffman.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

function decodeAll(decoder: HpackDecoder, blocks: string[]): string[][] {
  return blocks.map((b) => { const buf = hex(b); return decoder.decode(buf, 0, buf.length); });
}

test('the static table has RFC 7541\'s 61 entries', () => {
  assert.equal(STATIC_TABLE.length, 61);
  assert.deepEqual(STATIC_TABLE[7], [':status', '200']);
  assert.deepEqual(STATIC_TABLE[53], ['server', '']);
  assert.deepEqual(STATIC_TABLE[60], ['www-authenticate', '']);
});

test('RFC 7541 C.3: requests without Huffman, sharing a dynamic table', () => {
  const fields = decodeAll(new HpackDecoder(), [
    '828684410f7777772e6578616d706c652e636f6d',
    '828684be58086e6f2d6361636865',
    '828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565',
  ]);
  assert.deepEqual(fields[2], [':method', 'GET', ':scheme', 'https', ':path', '/index.html', ':authority', 'www.example.com', 'custom-key', 'custom-value']);
  assert.deepEqual(fields[1], [':method', 'GET', ':scheme', 'http', ':path', '/', ':authority', 'www.example.com', 'cache-control', 'no-cache']);
});

test('RFC 7541 C.4: the same requests with Huffman', () => {
  const fields = decodeAll(new HpackDecoder(), [
    '828684418cf1e3c2e5f23a6ba0ab90f4ff',
    '828684be5886a8eb10649cbf',
    '828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf',
  ]);
  assert.deepEqual(fields[2], [':method', 'GET', ':scheme', 'https', ':path', '/index.html', ':authority', 'www.example.com', 'custom-key', 'custom-value']);
});

test('RFC 7541 C.6: responses with Huffman and evictions in a 256-byte table', () => {
  const fields = decodeAll(new HpackDecoder(256), [
    '488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3',
    '4883640effc1c0bf',
    '88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007',
  ]);
  assert.deepEqual(fields[0], [':status', '302', 'cache-control', 'private', 'date', 'Mon, 21 Oct 2013 20:13:21 GMT', 'location', 'https://www.example.com']);
  assert.deepEqual(fields[1], [':status', '307', 'cache-control', 'private', 'date', 'Mon, 21 Oct 2013 20:13:21 GMT', 'location', 'https://www.example.com']);
  assert.deepEqual(fields[2], [':status', '200', 'cache-control', 'private', 'date', 'Mon, 21 Oct 2013 20:13:22 GMT', 'location', 'https://www.example.com',
    'content-encoding', 'gzip', 'set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1']);
});

test('a malformed block is an HpackError (a connection error), not a crash', () => {
  for (const bad of ['80', 'ff', 'bf', '4f', '0085f1e3c2', '8820']) {
    assert.throws(() => new HpackDecoder().decode(hex(bad), 0, hex(bad).length), HpackError, bad);
  }
});

test('a table size update above our limit is refused', () => {
  assert.throws(() => new HpackDecoder(4096).decode(hex('3fe21f'), 0, 3), HpackError);
  assert.deepEqual(new HpackDecoder(4096).decode(hex('3fe11f88'), 0, 4), [':status', '200']);
});

test('Huffman encodes RFC 7541 C.4\'s strings to the RFC\'s bytes', () => {
  assert.equal(huffmanEncode(Buffer.from('www.example.com')).toString('hex'), 'f1e3c2e5f23a6ba0ab90f4ff');
  assert.equal(huffmanEncode(Buffer.from('no-cache')).toString('hex'), 'a8eb10649cbf');
});

test('Huffman decoding inverts encoding for any bytes', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
    const encoded = huffmanEncode(bytes);
    assert.equal(huffmanDecode(encoded, 0, encoded.length), Buffer.from(bytes).toString('latin1'));
  }));
});

test('Huffman strings with bad padding or EOS are refused', () => {
  assert.equal(huffmanDecode(hex('00'), 0, 1), null, 'padding of zeros');
  assert.equal(huffmanDecode(hex('1fff'), 0, 2), null, 'eight bits of padding');
  assert.equal(huffmanDecode(hex('ffffffff'), 0, 4), null, 'EOS');
});

test('our literal encoding decodes to the same fields', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.stringMatching(/^[a-z:-]{1,20}$/), fc.string({ maxLength: 300 }))), (fields) => {
    const block = encodeHeaderBlock(fields);
    const decoded = new HpackDecoder().decode(block, 0, block.length);
    assert.deepEqual(decoded, fields.flatMap(([n, v]) => [n, Buffer.from(v, 'utf8').toString('latin1')]));
  }));
});

test('RFC 7541 §4.2: the encoder signals the smallest table size the peer set since its last block, once', () => {
  const size = new EncoderTableSize();
  const out = Buffer.alloc(16);
  assert.equal(size.writeUpdate(out, 0), 0, 'nothing to signal before any setting');
  size.peerSetting(100);
  size.peerSetting(0);
  size.peerSetting(4096);
  const end = size.writeUpdate(out, 0);
  assert.deepEqual([...out.subarray(0, end)], [0x20]);
  assert.equal(size.size, 0);
  assert.equal(size.writeUpdate(out, 0), 0);
  // The decoder side agrees: a block starting with the update, then a field.
  const decoder = new HpackDecoder();
  const block = Buffer.concat([out.subarray(0, end), Buffer.from([0x88])]);
  assert.deepEqual(decoder.decode(block, 0, block.length), [':status', '200']);
});

test('the decoder drops fields past its header list limit and says so', () => {
  const decoder = new HpackDecoder(4096, 100);
  const block = Buffer.alloc(5, 0x88); // 5 × (7 + 3 + 32) = 210 octets
  assert.deepEqual(decoder.decode(block, 0, block.length), [':status', '200', ':status', '200']);
  assert.equal(decoder.listTooLarge, true);
  assert.deepEqual(decoder.decode(block, 0, 1), [':status', '200']);
  assert.equal(decoder.listTooLarge, false);
});
