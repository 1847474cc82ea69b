import { ApnsClient } from '../apns/client.ts';
import { deliveryApnsId } from '../apns/delivery-apns-id.ts';
import { mdmNotification } from '../apns/notification.ts';
import type { Outcome } from '../apns/outcome.ts';
import { MpnsSender } from '../mpns/sender.ts';
import type { MpnsResult } from '../mpns/outcome.ts';
import type { DeliveryInterval } from '../mpns/protocol.ts';
import { certificateToPem } from '../pki/certificate.ts';
import type { ServiceContext } from '../service/context.ts';
import { mdmSendingIdentity } from '../service/mdm-push-cert.ts';
import { mpnsSendingIdentity } from '../service/mpns-credential.ts';
import type { NotificationPayload } from '../service/notifications.ts';
import type { ClaimedDelivery } from '../store/deliveries.ts';
import type { AttemptResult } from './attempt-outcome.ts';
import { ClientCache } from './client-cache.ts';
import { DatabaseQuotaStore } from './database-quota-store.ts';

/** Sends one platform's deliveries for one tenant. */
export interface PlatformSender {
  send(row: ClaimedDelivery, payload: NotificationPayload): Promise<AttemptResult>;
  /** Open connections to the push service (HTTP/2 sessions for APNs). */
  sessions(): number;
  close(): unknown;
}

/** Why a tenant cannot send on a platform right now (it pauses; rows wait). */
export interface CredentialProblem {
  credentialProblem: string;
}

export function fromApns(outcome: Outcome): AttemptResult {
  if (outcome.class === 'accepted') return { class: 'delivered', status: 200, reason: null };
  return {
    class: outcome.class, status: outcome.status || null, reason: outcome.reason, retryAfterMs: outcome.retryAfterMs,
    ...(outcome.timestamp ? { invalidSince: outcome.timestamp.getTime() } : {}),
  };
}

export function fromMpns(result: MpnsResult): AttemptResult {
  return { class: result.outcome, status: result.status ?? null, reason: result.suppressed ? 'Suppressed' : result.reason, retryAfterMs: result.retryAfterMs };
}

/**
 * A client build that failed (a database blip while reading the credential, say) must not stay
 * cached as a rejected promise: every later send of the tenant would fail with it until the
 * certificate changed. `forget` clears the cache slot so that the next send builds again.
 */
function forgetOnFailure<T>(build: Promise<T>, forget: () => void): Promise<T> {
  build.catch(forget);
  return build;
}

/**
 * Builds and caches each tenant's clients: an APNs client per MDM push certificate, an MPNS
 * sender per web service certificate (or an unauthenticated one). Rebuilt when the stored
 * certificate's fingerprint changes; closed when idle.
 */
export class PlatformSenders {
  readonly #ctx: ServiceContext;
  readonly #cache: ClientCache<PlatformSender>;
  readonly #ca: string[] | undefined;

  constructor(ctx: ServiceContext, options: { idleMs: number }) {
    this.#ctx = ctx;
    this.#cache = new ClientCache({ idleMs: options.idleMs });
    this.#ca = ctx.extraCa.length > 0 ? ctx.extraCa.map(certificateToPem) : undefined;
  }

  async forTenant(tenantId: string, platform: 'mdm' | 'apns' | 'mpns'): Promise<PlatformSender | CredentialProblem> {
    if (platform === 'mdm') {
      const record = await this.#ctx.store.mdmCerts.get(tenantId);
      if (!record?.certPem || !record.fingerprint) return { credentialProblem: 'NoPushCertificate' };
      if (record.notAfter !== null && record.notAfter < this.#ctx.now().getTime()) return { credentialProblem: 'PushCertificateExpired' };
      return this.#cache.get(`${tenantId}:mdm`, record.fingerprint, () => this.#mdmSender(tenantId));
    }
    if (platform === 'mpns') {
      const record = await this.#ctx.store.mpnsCredentials.get(tenantId);
      return this.#cache.get(`${tenantId}:mpns`, record?.fingerprint ?? 'unauthenticated', () => this.#mpnsSender(tenantId));
    }
    return { credentialProblem: 'NoApnsCredential' };
  }

  #mdmSender(tenantId: string): PlatformSender {
    let client: ApnsClient | null = null;
    let building: Promise<ApnsClient> | null = null;
    const ctx = this.#ctx;
    const ca = this.#ca;
    const get = () => {
      building ??= forgetOnFailure((async () => {
        const identity = await mdmSendingIdentity(ctx, tenantId);
        if (!identity) throw new Error('push certificate disappeared');
        client = new ApnsClient({ certificate: { cert: identity.certPem, key: identity.keyPem }, endpoint: ctx.config.apnsEndpoint, ca, maxSessions: 2 });
        return client;
      })(), () => { building = null; });
      return building;
    };
    return {
      async send(row, payload) {
        void payload;
        const apns = await get();
        // The notification's own expiration, else the MDM default (mdmNotification).
        const notification = mdmNotification(row.token!, row.pushMagic ?? '', apns.topic, {
          id: deliveryApnsId(row.notificationId, row.id),
          now: ctx.now(),
          ...(row.expiresAt !== null ? { expiration: new Date(row.expiresAt) } : {}),
        });
        return fromApns(await apns.send(notification, { attempt: row.attempts }));
      },
      sessions: () => (client as ApnsClient | null)?.stats().sessions ?? 0,
      close: () => client?.close(),
    };
  }

  #mpnsSender(tenantId: string): PlatformSender {
    let sender: MpnsSender | null = null;
    let building: Promise<MpnsSender> | null = null;
    const ctx = this.#ctx;
    const ca = this.#ca;
    const get = () => {
      building ??= forgetOnFailure((async () => {
        const identity = await mpnsSendingIdentity(ctx, tenantId);
        sender = new MpnsSender({
          credential: identity ? { cert: identity.certPem, key: identity.keyPem } : undefined,
          ca, allowHosts: ctx.config.mpnsAllowedHosts, dailyLimit: ctx.config.mpnsDailyLimit,
          // Shared by every worker process, and kept across restarts.
          quotaStore: new DatabaseQuotaStore(ctx.store),
        });
        return sender;
      })(), () => { building = null; });
      return building;
    };
    return {
      async send(row, payload) {
        const mpns = payload.mpns!;
        const { interval, ...notification } = mpns as typeof mpns & { interval?: DeliveryInterval };
        const s = await get();
        return fromMpns(await s.send(row.token!, notification, { interval, attempt: row.attempts + 1, expiresAt: row.expiresAt !== null ? new Date(row.expiresAt) : undefined }));
      },
      // HTTP/1.1 keep-alive sockets are pooled inside the sender; count the sender as one.
      sessions: () => (sender ? 1 : 0),
      close: () => sender?.close(),
    };
  }

  /**
   * The push endpoint a row goes to, for the circuit breaker: every MDM push goes to the one APNs
   * endpoint; an MPNS push to its channel URI's host.
   */
  endpointOf(row: ClaimedDelivery): string {
    if (row.platform !== 'mpns') return `apns ${this.#ctx.config.apnsEndpoint}`;
    try {
      return `mpns ${new URL(row.token ?? '').host}`;
    } catch {
      return 'mpns ?';
    }
  }

  invalidate(tenantId: string): void {
    this.#cache.invalidate(`${tenantId}:`);
  }

  evictIdle(): number {
    return this.#cache.evictIdle();
  }

  get open(): number {
    return this.#cache.size;
  }

  /** Push service connections open across every cached client. */
  get sessions(): number {
    return this.#cache.clients().reduce((n, sender) => n + sender.sessions(), 0);
  }

  closeAll(): Promise<void> {
    return this.#cache.closeAll();
  }
}
