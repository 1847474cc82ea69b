import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DeliveryEvent } from './worker.ts';

/**
 * Prometheus metrics. No label ever holds a tenant id or a token: label sets stay small
 * and metrics reveal nothing about customers.
 */
export interface Metrics {
  registry: Registry;
  observe(event: DeliveryEvent): void;
}

export interface MetricSources {
  /** Rows waiting to be sent. */
  queueDepth(): Promise<number>;
  /** Clients (one per tenant credential) cached in this process. */
  openClients(): number;
  /** Connections to the push services open in this process. */
  openSessions(): number;
  /** Days to expiry of every stored credential, by kind. */
  credentialDays(): Promise<Array<{ kind: 'mdm' | 'mpns' | 'vendor'; days: number }>>;
}

const DAY_BUCKETS = [
  { label: 'expired', max: -1 }, { label: '0-7', max: 7 }, { label: '8-14', max: 14 }, { label: '15-30', max: 30 }, { label: '31+', max: Infinity },
] as const;

export function createMetrics(sources: MetricSources): Metrics {
  const registry = new Registry();
  // Attempts are counted here and handed to prom-client when it is scraped: a 100,000-device
  // fan-out is 100,000 attempts, and prom-client builds a label key (a string and two objects)
  // for every increment.
  const attempts = new Map<string, { service: string; outcome: string; n: number }>();
  const deliveries = new Counter({
    name: 'certpush_deliveries_total', help: 'Delivery attempts by push service and outcome', labelNames: ['service', 'outcome'] as const, registers: [registry],
    collect() {
      for (const a of attempts.values()) {
        if (a.n === 0) continue;
        this.inc({ service: a.service, outcome: a.outcome }, a.n);
        a.n = 0;
      }
    },
  });
  const serviceLabels = { apns: { service: 'apns' }, mpns: { service: 'mpns' } } as const;
  const latency = new Histogram({
    name: 'certpush_attempt_seconds', help: 'Time from sending to the push service\'s answer', labelNames: ['service'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15], registers: [registry],
  });
  const invalidated = new Counter({ name: 'certpush_devices_invalidated_total', help: 'Devices the push services reported gone', registers: [registry] });
  const completed = new Counter({ name: 'certpush_notifications_completed_total', help: 'Notifications whose every delivery is final', registers: [registry] });
  const paused = new Counter({ name: 'certpush_tenant_pauses_total', help: 'Times a tenant was paused for a credential failure', registers: [registry] });
  new Gauge({
    name: 'certpush_queue_depth', help: 'Delivery rows waiting (due now or later)', registers: [registry],
    async collect() { this.set(await sources.queueDepth()); },
  });
  new Gauge({
    name: 'certpush_open_clients', help: 'Push service clients (connection pools) open in this process', registers: [registry],
    collect() { this.set(sources.openClients()); },
  });
  new Gauge({
    name: 'certpush_open_sessions', help: 'Connections to APNs (HTTP/2 sessions) and MPNS senders open in this process', registers: [registry],
    collect() { this.set(sources.openSessions()); },
  });
  new Gauge({
    name: 'certpush_credentials', help: 'Stored credentials by kind and days to expiry', labelNames: ['kind', 'days'] as const, registers: [registry],
    async collect() {
      this.reset();
      for (const { kind, days } of await sources.credentialDays()) {
        const bucket = DAY_BUCKETS.find((b) => days <= b.max)!;
        this.inc({ kind, days: bucket.label });
      }
    },
  });
  return {
    registry,
    observe(event) {
      switch (event.type) {
        case 'attempt': {
          const service = event.platform === 'mpns' ? 'mpns' : 'apns';
          const key = service === 'apns' ? event.result.class : `mpns ${event.result.class}`;
          const counted = attempts.get(key);
          if (counted) counted.n++;
          else attempts.set(key, { service, outcome: event.result.class, n: 1 });
          latency.observe(serviceLabels[service], event.ms / 1000);
          break;
        }
        case 'devices.invalidated': invalidated.inc(event.devices.length); break;
        case 'notification.completed': completed.inc(); break;
        case 'tenant.paused': paused.inc(); break;
      }
    },
  };
}
