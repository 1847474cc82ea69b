import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BodyText } from '../../../src/apns/http2/body-text.ts';

test('a UTF-8 character split across two DATA frames decodes as itself', () => {
  const bytes = Buffer.from('{"reason":"Ünregistered 😀"}');
  for (let cut = 0; cut <= bytes.length; cut++) {
    const body = new BodyText(4096);
    body.write(bytes.subarray(0, cut));
    body.write(bytes.subarray(cut));
    assert.equal(body.end(), '{"reason":"Ünregistered 😀"}', `cut at ${cut}`);
  }
});

test('a body cut off inside a character ends with U+FFFD', () => {
  const body = new BodyText(4096);
  body.write(Buffer.from([0x61, 0xf0, 0x9f]));
  assert.equal(body.end(), 'a\ufffd');
});

test('a body keeps at most its limit of characters', () => {
  const body = new BodyText(10);
  for (let i = 0; i < 100; i++) body.write(Buffer.from('abcdef'));
  assert.equal(body.end(), 'abcdefabcd');
});
