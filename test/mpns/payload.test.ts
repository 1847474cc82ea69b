import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCertpushError } from '../../src/errors.ts';
import { payloadBody } from '../../src/mpns/payload.ts';
import { MAX_PAYLOAD_BYTES } from '../../src/mpns/protocol.ts';

describe('payload body', () => {
  it('sends raw bytes untouched', () => {
    const data = new Uint8Array([0, 1, 2, 0xff, 0x3c]);
    assert.deepEqual([...payloadBody({ type: 'raw', data })], [...data]);
  });

  it('sends a raw string as UTF-8', () => {
    assert.equal(payloadBody({ type: 'raw', data: 'Grüße' }).toString('hex'), Buffer.from('Grüße', 'utf8').toString('hex'));
  });

  it('accepts a payload of exactly 3 KB', () => {
    assert.equal(payloadBody({ type: 'raw', data: new Uint8Array(MAX_PAYLOAD_BYTES) }).length, 3072);
  });

  it('refuses a payload over 3 KB before sending, naming its size and the limit', () => {
    assert.throws(() => payloadBody({ type: 'raw', data: new Uint8Array(MAX_PAYLOAD_BYTES + 1) }),
      (e) => isCertpushError(e, 'MPNS_PAYLOAD_TOO_LARGE') && e.message.includes('3073 bytes') && e.message.includes('3072 bytes (3 KB)'));
  });

  it('counts the escaped, UTF-8 encoded XML against the limit', () => {
    // 600 ampersands are 600 characters of input but 3000 bytes once escaped as &amp;.
    assert.throws(() => payloadBody({ type: 'toast', text1: '&'.repeat(600) }), (e) => isCertpushError(e, 'MPNS_PAYLOAD_TOO_LARGE'));
  });

  it('refuses an unknown notification type', () => {
    assert.throws(() => payloadBody({ type: 'badge' } as never), (e) => isCertpushError(e, 'MPNS_NOTIFICATION_TYPE'));
  });
});
