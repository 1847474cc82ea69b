// Delivery metrics: attempts counted by the worker's events reach Prometheus exactly once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics } from '../../src/delivery/metrics.ts';

function metrics() {
  return createMetrics({ queueDepth: async () => 0, openClients: () => 0, openSessions: () => 0, credentialDays: async () => [] });
}

function attempt(platform: string, outcome: 'delivered' | 'retry' | 'invalid', ms = 3) {
  return { type: 'attempt' as const, tenantId: 't', platform, result: { class: outcome, status: null, reason: null }, ms };
}

describe('delivery metrics', () => {
  it('counts attempts by service and outcome, and a second scrape does not count them again', async () => {
    const m = metrics();
    for (let i = 0; i < 3; i++) m.observe(attempt('mdm', 'delivered'));
    m.observe(attempt('mdm', 'retry'));
    m.observe(attempt('mpns', 'delivered'));
    const first = await m.registry.metrics();
    assert.match(first, /certpush_deliveries_total\{service="apns",outcome="delivered"\} 3/);
    assert.match(first, /certpush_deliveries_total\{service="apns",outcome="retry"\} 1/);
    assert.match(first, /certpush_deliveries_total\{service="mpns",outcome="delivered"\} 1/);
    const second = await m.registry.metrics();
    assert.match(second, /certpush_deliveries_total\{service="apns",outcome="delivered"\} 3/);
    m.observe(attempt('mdm', 'delivered'));
    assert.match(await m.registry.metrics(), /certpush_deliveries_total\{service="apns",outcome="delivered"\} 4/);
  });

  it('records each attempt\'s time in the latency histogram of its service', async () => {
    const m = metrics();
    m.observe(attempt('mdm', 'delivered', 2));
    m.observe(attempt('mdm', 'invalid', 40));
    const text = await m.registry.metrics();
    assert.match(text, /certpush_attempt_seconds_count\{service="apns"\} 2/);
    assert.match(text, /certpush_attempt_seconds_bucket\{le="0.0025",service="apns"\} 1/);
    assert.match(text, /certpush_attempt_seconds_bucket\{le="0.05",service="apns"\} 2/);
  });
});
