import assert from 'node:assert/strict';
import { test } from 'node:test';
import { growWindow, ReceiveWindow } from '../../../src/apns/http2/flow-control.ts';

test('a send window may grow to 2^31-1 and no further (RFC 9113 §6.9.1)', () => {
  assert.equal(growWindow(65_535, 2 ** 31 - 1 - 65_535), 2 ** 31 - 1);
  assert.equal(growWindow(65_535, 2 ** 31 - 65_535), undefined);
});

test('a send window may go negative after SETTINGS_INITIAL_WINDOW_SIZE shrinks (RFC 9113 §6.9.2)', () => {
  assert.equal(growWindow(100, -65_535), -65_435);
});

test('a receive window refuses DATA beyond it', () => {
  const window = new ReceiveWindow(1000);
  assert.equal(window.receive(1000), true);
  assert.equal(window.receive(1), false);
});

test('a receive window gives back what was read once half of it is used', () => {
  const window = new ReceiveWindow(1000);
  window.receive(499);
  assert.equal(window.takeUpdate(), 0);
  window.receive(1);
  assert.equal(window.takeUpdate(), 500);
  assert.equal(window.takeUpdate(), 0);
  assert.equal(window.receive(1000), true);
});
