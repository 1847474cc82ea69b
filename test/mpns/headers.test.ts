import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCertpushError } from '../../src/errors.ts';
import { notificationClass, notificationHeaders, parseDeliveryInterval } from '../../src/mpns/headers.ts';

describe('notification headers', () => {
  const table = [
    ['tile', 'immediate', 1], ['tile', 450, 11], ['tile', 900, 21],
    ['toast', 'immediate', 2], ['toast', 450, 12], ['toast', 900, 22],
    ['raw', 'immediate', 3], ['raw', 450, 13], ['raw', 900, 23],
  ] as const;
  for (const [kind, interval, expected] of table) {
    it(`gives a ${kind} delivered ${interval === 'immediate' ? 'immediately' : `within ${interval} s`} notification class ${expected}`, () => {
      assert.equal(notificationClass(kind, interval), expected);
    });
  }

  it('targets toasts with X-WindowsPhone-Target: toast', () => {
    assert.equal(notificationHeaders('toast', { messageId: 'm', contentLength: 1 })['x-windowsphone-target'], 'toast');
  });

  it('targets tiles with X-WindowsPhone-Target: token', () => {
    assert.equal(notificationHeaders('tile', { messageId: 'm', contentLength: 1 })['x-windowsphone-target'], 'token');
  });

  it('sends raw notifications without X-WindowsPhone-Target', () => {
    assert.equal('x-windowsphone-target' in notificationHeaders('raw', { messageId: 'm', contentLength: 1 }), false);
  });

  it('sends Content-Type text/xml, the length, the message id and the class', () => {
    assert.deepEqual(notificationHeaders('toast', { interval: 900, messageId: '0b5a7c52-7f0e-4a57-9a4b-1f9d2f7a4c11', contentLength: 42 }), {
      'content-type': 'text/xml',
      'content-length': '42',
      'x-messageid': '0b5a7c52-7f0e-4a57-9a4b-1f9d2f7a4c11',
      'x-notificationclass': '22',
      'x-windowsphone-target': 'toast',
    });
  });

  it('reads delivery intervals as written on the command line', () => {
    assert.deepEqual(['immediate', '450', '900'].map(parseDeliveryInterval), ['immediate', 450, 900]);
  });

  it('refuses an unknown delivery interval', () => {
    assert.throws(() => parseDeliveryInterval('60'), (e) => isCertpushError(e, 'MPNS_DELIVERY_INTERVAL'));
  });
});
