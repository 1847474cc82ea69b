import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dueWarning } from '../../src/delivery/expiry-monitor.ts';
import { signWebhook, verifyWebhookSignature } from '../../src/delivery/webhook-sender.ts';
import { checkWebhookUrl, resolveWebhookAddress } from '../../src/service/webhook-target.ts';

describe('dueWarning: expiry warnings at 30, 14 and 7 days, then expired, each once', () => {
  it('warns at the tightest threshold reached', () => {
    assert.equal(dueWarning(45, ''), null);
    assert.equal(dueWarning(30, ''), '30');
    assert.equal(dueWarning(20, '30'), null);
    assert.equal(dueWarning(13, '30'), '14');
    assert.equal(dueWarning(5, ''), '7');
    assert.equal(dueWarning(5, '30,14,7'), null);
    assert.equal(dueWarning(-1, '30,14,7'), 'expired');
    assert.equal(dueWarning(-3, '30,14,7,expired'), null);
  });
});

describe('webhook signatures', () => {
  it('verify with the secret, and fail with another secret, another body or an old timestamp', () => {
    const now = Date.now();
    const t = Math.floor(now / 1000);
    const header = signWebhook('whsec_a', '{"x":1}', t);
    assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.equal(verifyWebhookSignature('whsec_a', '{"x":1}', header, { now }), true);
    assert.equal(verifyWebhookSignature('whsec_b', '{"x":1}', header, { now }), false);
    assert.equal(verifyWebhookSignature('whsec_a', '{"x":2}', header, { now }), false);
    assert.equal(verifyWebhookSignature('whsec_a', '{"x":1}', header, { now: now + 600_000 }), false);
  });
});

describe('webhook targets', () => {
  it('must be https without credentials, unless insecure targets are allowed for tests', () => {
    assert.throws(() => checkWebhookUrl('http://example.com/hook', { allowInsecure: false }), { code: 'WEBHOOK_URL_INVALID' });
    assert.throws(() => checkWebhookUrl('https://u:p@example.com/hook', { allowInsecure: false }), { code: 'WEBHOOK_URL_INVALID' });
    assert.throws(() => checkWebhookUrl('not a url', { allowInsecure: false }), { code: 'WEBHOOK_URL_INVALID' });
    assert.equal(checkWebhookUrl('https://example.com/hook', { allowInsecure: false }).host, 'example.com');
    assert.equal(checkWebhookUrl('http://127.0.0.1:9/hook', { allowInsecure: true }).port, '9');
  });

  it('never resolve to loopback, private, link-local or metadata addresses', async () => {
    for (const host of ['[::ffff:127.0.0.1]', '127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '[::1]', '[fe80::1]', '0.0.0.0', 'localhost']) {
      await assert.rejects(resolveWebhookAddress(new URL(`https://${host}/x`), { allowInsecure: false }), { code: 'WEBHOOK_ADDRESS_FORBIDDEN' }, host);
    }
    assert.equal((await resolveWebhookAddress(new URL('https://93.184.216.34/x'), { allowInsecure: false })).address, '93.184.216.34');
  });
});
