import crypto from 'node:crypto';
import os from 'node:os';
import type { ServiceContext } from '../service/context.ts';
import { checkExpiries } from './expiry-monitor.ts';
import { WebhookDispatcher } from './webhook-sender.ts';
import { DAY_MS, runRetention } from './retention.ts';

export type LogFn = (level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>) => void;

/** The vendor signing certificate as last seen from the signer. */
export interface VendorStatus {
  subject?: string;
  notAfter?: string;
  daysLeft?: number;
  error?: string;
  checkedAt: string;
}

export interface BackgroundOptions {
  expiryIntervalMs?: number;
  webhookIntervalMs?: number;
  /** The hard deadline of one webhook call (default WEBHOOK_DEADLINE_MS). */
  webhookDeadlineMs?: number;
  /** How often a retention pass runs (default every minute). */
  retentionIntervalMs?: number;
}

/**
 * The worker's periodic chores: send due webhook events (every second), check credential
 * expiry (at start, then hourly), ask the signer how long the vendor certificate has left, and
 * apply the retention window to delivery rows (every minute, one process at a time).
 */
export class BackgroundTasks {
  readonly #ctx: ServiceContext;
  readonly #log: LogFn;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #running = new Set<Promise<unknown>>();
  #webhooks: WebhookDispatcher | null = null;
  /** Holds the retention lease while this process runs a pass. */
  readonly #holder = `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
  vendor: VendorStatus | null = null;

  constructor(ctx: ServiceContext, log: LogFn) {
    this.#ctx = ctx;
    this.#log = log;
  }

  start(options: BackgroundOptions = {}): void {
    const webhooks = new WebhookDispatcher(this.#ctx, { deadlineMs: options.webhookDeadlineMs });
    this.#webhooks = webhooks;
    this.#every(options.webhookIntervalMs ?? 1000, 'sending webhooks', () => webhooks.run());
    this.#every(options.expiryIntervalMs ?? 3600_000, 'checking certificate expiry', () => this.checkNow(), true);
    if (this.#ctx.config.retentionDays > 0) this.#every(options.retentionIntervalMs ?? 60_000, 'applying retention', () => this.retainNow());
  }

  /** One bounded retention pass now (also what the timer runs); skipped while another process runs one. */
  async retainNow() {
    const pass = await runRetention(this.#ctx.store, { holder: this.#holder, retentionMs: this.#ctx.config.retentionDays * DAY_MS, now: this.#ctx.now().getTime() });
    if (pass.deleted > 0) this.#log('info', 'retention folded expired delivery rows into their notifications', { rows: pass.deleted, notifications: pass.expired });
    return pass;
  }

  /** Run the expiry checks now (also what the timer runs). */
  async checkNow(): Promise<void> {
    await this.#ctx.store.mpnsQuota.prune(this.#ctx.now().toISOString().slice(0, 10));
    for (const f of await checkExpiries(this.#ctx)) {
      this.#log('warn', f.mark === 'expired' ? 'a tenant certificate expired' : 'a tenant certificate expires soon', { tenantId: f.tenantId, kind: f.kind, daysLeft: f.daysLeft });
    }
    await this.refreshVendor();
  }

  async refreshVendor(): Promise<VendorStatus | null> {
    const signer = this.#ctx.signer;
    if (!signer) return null;
    try {
      const v = await signer.vendorCertificate();
      this.vendor = { subject: v.subject, notAfter: v.notAfter, daysLeft: v.daysLeft, checkedAt: new Date().toISOString() };
      if (v.daysLeft < 30) this.#log('warn', 'the vendor MDM signing certificate expires soon: renew it in the Apple Developer portal', { daysLeft: v.daysLeft, notAfter: v.notAfter });
    } catch (error) {
      this.vendor = { error: (error as Error).message, checkedAt: new Date().toISOString() };
    }
    return this.vendor;
  }

  #every(ms: number, what: string, task: () => Promise<unknown>, now = false): void {
    let busy = false;
    const run = () => {
      if (busy) return;
      busy = true;
      const p = task().catch((error: Error) => this.#log('error', `${what} failed`, { error: error.message })).finally(() => {
        busy = false;
        this.#running.delete(p);
      });
      this.#running.add(p);
    };
    if (now) run();
    this.#timers.push(setInterval(run, ms).unref());
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    await Promise.all(this.#running);
    // Calls under way end by their deadline; their outcomes are recorded before the store closes.
    await this.#webhooks?.drain();
  }
}
