import { ApnsClient } from '../apns/client.ts';
import { deliveryApnsId } from '../apns/delivery-apns-id.ts';
import { MDM_DEFAULT_EXPIRATION_SECONDS, mdmNotification } from '../apns/notification.ts';
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

/**
 * How long a tenant's credential, once read, is used before it is read again: the freshness of
 * the worker's list of paused tenants, so a certificate replaced in another process (PostgreSQL)
 * is picked up as soon as the pause it lifts.
 */
const CREDENTIAL_RECHECK_MS = 1000;

/** Sends one platform's deliveries for one tenant. */
export interface PlatformSender {
  /** Resolves when the client is built (rejects when it cannot be: the credential could not be read). */
  ready(): Promise<unknown>;
  /**
   * Send `rows` (this sender's tenant and platform); `done(result, index)` is called once per row
   * as its answer comes (`index` into `rows`), and the promise resolves when every row has had
   * its call. A client that throws is that row's `retry` (ClientError), never a rejection.
   */
  sendAll(rows: readonly ClaimedDelivery[], payloadOf: (row: ClaimedDelivery) => NotificationPayload, done: (result: AttemptResult, index: number) => void): Promise<void>;
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

/** A client that threw (not an outcome): treat as transient; the retry window bounds it. */
function clientError(error: Error): AttemptResult {
  return { class: 'retry', status: null, reason: `ClientError: ${error.message}`, retryAfterMs: 5000 };
}

/**
 * MDM pushes for one tenant through its APNs client, with a callback per outcome rather than a
 * promise per push (ApnsClient.sendWith): under a 100,000-device fan-out those promises, their
 * closures and the rows they held were promoted by the young-generation collector while the
 * batch was in flight, and the old generation's collections cost more than the sending.
 */
function sendMdm(apns: ApnsClient, ctx: ServiceContext, rows: readonly ClaimedDelivery[], done: (result: AttemptResult, index: number) => void): Promise<void> {
  if (rows.length === 0) return Promise.resolve();
  const { promise, resolve } = Promise.withResolvers<void>();
  let left = rows.length;
  const settle = (result: AttemptResult, index: number): void => {
    done(result, index);
    if (--left === 0) resolve();
  };
  const answered = (outcome: Outcome, index: number): void => settle(fromApns(outcome), index);
  // The notification's own expiration, else the MDM default from now — computed once per batch
  // and handed to mdmNotification, which would otherwise read the clock per push.
  const defaultExpiration = Math.floor(ctx.now().getTime() / 1000) + MDM_DEFAULT_EXPIRATION_SECONDS;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    try {
      apns.sendWith(mdmNotification(row.token!, row.pushMagic ?? '', apns.topic, {
        expiration: row.expiresAt !== null ? Math.floor(row.expiresAt / 1000) : defaultExpiration,
        id: deliveryApnsId(row.notificationId, row.id),
      }), row.attempts, answered, i);
    } catch (error) {
      // The client was closed under us (its credential changed): this row retries.
      queueMicrotask(() => settle(clientError(error as Error), i));
    }
  }
  return promise;
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
  /** Credential reads per `tenant:platform`, trusted for CREDENTIAL_RECHECK_MS. */
  readonly #checked = new Map<string, { at: number; result: Promise<PlatformSender | CredentialProblem> }>();
  /** Every MDM push goes to the one APNs endpoint: its circuit's name, made once. */
  readonly #apnsEndpoint: string;

  constructor(ctx: ServiceContext, options: { idleMs: number }) {
    this.#ctx = ctx;
    this.#cache = new ClientCache({ idleMs: options.idleMs });
    this.#ca = ctx.extraCa.length > 0 ? ctx.extraCa.map(certificateToPem) : undefined;
    this.#apnsEndpoint = `apns ${ctx.config.apnsEndpoint}`;
  }

  /**
   * The tenant's sender for a platform, or why it cannot send. The credential's record is read
   * at most once a second per tenant and platform (CREDENTIAL_RECHECK_MS) and the sender's client
   * is built before this resolves: a batch that spans 64 tenants used to read 64 certificates
   * (PEM and all) from the database for every 1,000 deliveries. A changed credential this process
   * knows of (`invalidate`) is read at once; one changed elsewhere (another process, on
   * PostgreSQL) within the second, as the worker's list of paused tenants is.
   */
  forTenant(tenantId: string, platform: 'mdm' | 'apns' | 'mpns'): Promise<PlatformSender | CredentialProblem> {
    const key = `${tenantId}:${platform}`;
    const now = Date.now();
    const known = this.#checked.get(key);
    if (known && now - known.at < CREDENTIAL_RECHECK_MS) return known.result;
    const entry = { at: now, result: this.#lookUp(tenantId, platform) };
    this.#checked.set(key, entry);
    // A failed read or build is not remembered: the next batch tries again.
    entry.result.catch(() => {
      if (this.#checked.get(key) === entry) this.#checked.delete(key);
    });
    return entry.result;
  }

  async #lookUp(tenantId: string, platform: 'mdm' | 'apns' | 'mpns'): Promise<PlatformSender | CredentialProblem> {
    let sender: PlatformSender;
    if (platform === 'mdm') {
      const record = await this.#ctx.store.mdmCerts.get(tenantId);
      if (!record?.certPem || !record.fingerprint) return { credentialProblem: 'NoPushCertificate' };
      if (record.notAfter !== null && record.notAfter < this.#ctx.now().getTime()) return { credentialProblem: 'PushCertificateExpired' };
      sender = this.#cache.get(`${tenantId}:mdm`, record.fingerprint, () => this.#mdmSender(tenantId));
    } else if (platform === 'mpns') {
      const record = await this.#ctx.store.mpnsCredentials.get(tenantId);
      sender = this.#cache.get(`${tenantId}:mpns`, record?.fingerprint ?? 'unauthenticated', () => this.#mpnsSender(tenantId));
    } else return { credentialProblem: 'NoApnsCredential' };
    // Built here, once, rather than awaited by every send.
    await sender.ready();
    return sender;
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
      ready: get,
      // Built by forTenant before sending; waited for here only when a sender is used on its own.
      sendAll: (rows, _payloadOf, done) => (client ? sendMdm(client, ctx, rows, done) : get().then((apns) => sendMdm(apns, ctx, rows, done))),
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
    const send = async (row: ClaimedDelivery, payload: NotificationPayload): Promise<AttemptResult> => {
      const mpns = payload.mpns!;
      const { interval, ...notification } = mpns as typeof mpns & { interval?: DeliveryInterval };
      const s = await get();
      return fromMpns(await s.send(row.token!, notification, { interval, attempt: row.attempts + 1, expiresAt: row.expiresAt !== null ? new Date(row.expiresAt) : undefined }));
    };
    return {
      ready: get,
      // MPNS is a request per device over HTTP/1.1: a promise per send is the least of its costs.
      sendAll: async (rows, payloadOf, done) => {
        await Promise.all(rows.map((row, i) => send(row, payloadOf(row)).then((result) => done(result, i), (error: Error) => done(clientError(error), i))));
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
    if (row.platform !== 'mpns') return this.#apnsEndpoint;
    try {
      return `mpns ${new URL(row.token ?? '').host}`;
    } catch {
      return 'mpns ?';
    }
  }

  invalidate(tenantId: string): void {
    this.#cache.invalidate(`${tenantId}:`);
    for (const key of this.#checked.keys()) if (key.startsWith(`${tenantId}:`)) this.#checked.delete(key);
  }

  evictIdle(): number {
    const stale = Date.now() - CREDENTIAL_RECHECK_MS;
    for (const [key, entry] of this.#checked) if (entry.at < stale) this.#checked.delete(key);
    const closed = this.#cache.evictIdle();
    // A remembered read must not hand out a sender that was just closed.
    if (closed > 0) this.#checked.clear();
    return closed;
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
