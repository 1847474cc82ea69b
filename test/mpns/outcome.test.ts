import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { minuteBackoffMs, outcomeFromError, outcomeFromResponse } from '../../src/mpns/outcome.ts';

const MINUTE = 60_000;
const context = { messageId: 'm-1' };

function response(status: number, notificationStatus?: string, subscriptionStatus?: string, deviceConnectionStatus?: string, attempt?: number) {
  return outcomeFromResponse(status, { notificationStatus, subscriptionStatus, deviceConnectionStatus }, { ...context, attempt });
}

describe('MPNS response outcomes', () => {
  it('treats 200 Received / Active / Connected as delivered', () => {
    const result = response(200, 'Received', 'Active', 'Connected');
    assert.equal(result.outcome, 'delivered');
    assert.equal(result.reason, 'Received');
    assert.equal(result.suppressed, false);
  });

  it('treats 200 Received to a temporarily disconnected device as delivered, saying it is queued', () => {
    const result = response(200, 'Received', 'Active', 'TempDisconnected');
    assert.equal(result.outcome, 'delivered');
    assert.match(result.message, /temporarily disconnected/);
  });

  it('retries 200 QueueFull after a minute on the first attempt', () => {
    const result = response(200, 'QueueFull', 'Active', 'Connected');
    assert.equal(result.outcome, 'retry');
    assert.equal(result.reason, 'QueueFull');
    assert.equal(result.retryAfterMs, MINUTE);
  });

  it('backs off QueueFull exponentially in minutes on later attempts', () => {
    assert.equal(response(200, 'QueueFull', 'Active', 'TempDisconnected', 4).retryAfterMs, 8 * MINUTE);
  });

  it('treats 200 Suppressed as delivered but suppressed, with no retry', () => {
    const result = response(200, 'Suppressed', 'Active', 'Connected');
    assert.equal(result.outcome, 'delivered');
    assert.equal(result.suppressed, true);
    assert.equal(result.retryAfterMs, undefined);
  });

  it('treats 404 Dropped / Expired as an invalid subscription to delete', () => {
    const result = response(404, 'Dropped', 'Expired', 'Connected');
    assert.equal(result.outcome, 'invalid');
    assert.equal(result.reason, 'SubscriptionExpired');
    assert.match(result.message, /Delete this channel URI/);
  });

  it('retries 406 (daily limit) after at least an hour', () => {
    const result = response(406, 'Dropped', 'Active', 'Connected');
    assert.equal(result.outcome, 'retry');
    assert.equal(result.reason, 'ThrottleLimit');
    assert.ok(result.retryAfterMs! >= 60 * MINUTE);
  });

  it('retries 412 (device inactive) no sooner than an hour', () => {
    const result = response(412, 'Dropped', undefined, 'Inactive');
    assert.equal(result.outcome, 'retry');
    assert.equal(result.reason, 'DeviceInactive');
    assert.ok(result.retryAfterMs! > 60 * MINUTE);
  });

  it('retries 503 with minute backoff', () => {
    const result = response(503, undefined, undefined, undefined, 2);
    assert.equal(result.outcome, 'retry');
    assert.equal(result.reason, 'ServiceUnavailable');
    assert.equal(result.retryAfterMs, 2 * MINUTE);
  });

  it('rejects 400 as a malformed request', () => {
    assert.deepEqual([response(400).outcome, response(400).reason], ['rejected', 'BadRequest']);
  });

  it('treats 401 as a credential problem: an authenticated channel reached without its certificate', () => {
    const result = response(401);
    assert.deepEqual([result.outcome, result.reason], ['credential', 'Unauthorized']);
    assert.match(result.message, /Service Name/);
  });

  it('treats 403 as a credential problem: the client certificate is refused', () => {
    const result = response(403);
    assert.deepEqual([result.outcome, result.reason], ['credential', 'Forbidden']);
    assert.match(result.message, /check-cert/);
  });

  it('rejects 405 as a method other than POST', () => {
    assert.deepEqual([response(405).outcome, response(405).reason], ['rejected', 'MethodNotAllowed']);
  });

  it('retries other server errors', () => {
    assert.equal(response(502).outcome, 'retry');
  });

  it('rejects undocumented client errors', () => {
    assert.deepEqual([response(418).outcome, response(418).reason], ['rejected', 'UnexpectedStatus']);
  });

  it('keeps the MPNS status headers and the message id in the result', () => {
    const result = response(404, 'Dropped', 'Expired', 'Connected');
    assert.deepEqual([result.status, result.notificationStatus, result.subscriptionStatus, result.deviceConnectionStatus, result.messageId], [404, 'Dropped', 'Expired', 'Connected', 'm-1']);
  });
});

describe('backoff', () => {
  it('grows 1, 2, 4 … minutes and stops at an hour', () => {
    assert.deepEqual([1, 2, 3, 7, 20].map((a) => minuteBackoffMs(a) / MINUTE), [1, 2, 4, 60, 60]);
  });
});

describe('failed request outcomes', () => {
  it('retries a timeout', () => {
    const result = outcomeFromError(new Error('no response within 15000 ms'), { ...context, timedOut: true });
    assert.deepEqual([result.outcome, result.reason], ['retry', 'Timeout']);
  });

  it('retries a refused connection', () => {
    const result = outcomeFromError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), context);
    assert.deepEqual([result.outcome, result.reason, result.retryAfterMs], ['retry', 'ConnectionFailed', MINUTE]);
  });

  it('treats a TLS alert about the client certificate as a credential problem', () => {
    const result = outcomeFromError(Object.assign(new Error('tlsv13 alert certificate required'), { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' }), context);
    assert.deepEqual([result.outcome, result.reason], ['credential', 'ClientCertificateRejected']);
  });

  it('treats an untrusted server certificate as a credential problem that names the CA option', () => {
    const result = outcomeFromError(Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), context);
    assert.deepEqual([result.outcome, result.reason], ['credential', 'ServerNotTrusted']);
    assert.match(result.message, /--ca/);
  });
});
