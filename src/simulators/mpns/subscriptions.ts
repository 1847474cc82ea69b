import type { NotificationKind } from '../../mpns/protocol.ts';

/**
 * What the simulated device behind a channel is doing: `active` (connected), `temp-disconnected`
 * (accepted, queued), `inactive` (412) or `expired` (404).
 */
export type SubscriptionStateName = 'active' | 'temp-disconnected' | 'inactive' | 'expired';

/** The simulated state of one subscription (channel token). */
export interface SubscriptionState {
  state: SubscriptionStateName;
  /** Notification kinds the app's channel suppresses: answered 200 Suppressed. */
  suppress?: NotificationKind[];
  /** An authenticated channel's Service Name: notifications must come with a client certificate of this CN (else 403). */
  serviceName?: string;
}

/** Faults the simulator injects on request: 503 Service Unavailable, or 200 QueueFull. */
export type InjectedFault = 'unavailable' | 'queue-full';

/**
 * Tokens whose first word names a state, so tests and CLI users can pick a behaviour through
 * the channel URI alone: `…/01.00/expired-abc` answers 404, `inactive-…` 412,
 * `disconnected-…` TempDisconnected, `suppressed-…` Suppressed, `queuefull-…` QueueFull and
 * `unavailable-…` 503 on every request.
 */
export const TOKEN_PREFIXES: Readonly<Record<string, SubscriptionState | InjectedFault>> = {
  'expired-': { state: 'expired' },
  'inactive-': { state: 'inactive' },
  'disconnected-': { state: 'temp-disconnected' },
  'suppressed-': { state: 'active', suppress: ['toast', 'tile', 'raw'] },
  'queuefull-': 'queue-full',
  'unavailable-': 'unavailable',
};

interface PendingFault {
  fault: InjectedFault;
  remaining: number;
  token: string | null;
}

/**
 * Subscriptions, injected faults and daily counts of the simulator. Tokens never seen are
 * active: any well-formed channel URI works without set-up.
 */
export class Subscriptions {
  readonly #states = new Map<string, SubscriptionState>();
  #faults: PendingFault[] = [];
  #day = '';
  readonly #counts = new Map<string, number>();

  /** Set the state of `token` (replacing what was set before). */
  set(token: string, state: SubscriptionState): void {
    this.#states.set(token, state);
  }

  /** The state of `token`: set explicitly, named by its prefix, or active. */
  get(token: string): SubscriptionState {
    const set = this.#states.get(token);
    if (set) return set;
    for (const [prefix, meaning] of Object.entries(TOKEN_PREFIXES)) {
      if (token.startsWith(prefix) && typeof meaning !== 'string') return meaning;
    }
    return { state: 'active' };
  }

  /** Answer the next `count` requests (to `token`, or to any token) with `fault`. */
  inject(fault: InjectedFault, options: { count?: number; token?: string } = {}): void {
    this.#faults.push({ fault, remaining: options.count ?? 1, token: options.token ?? null });
  }

  /** The fault this request gets, if any (using up one of its count). */
  takeFault(token: string): InjectedFault | null {
    for (const [prefix, meaning] of Object.entries(TOKEN_PREFIXES)) {
      if (token.startsWith(prefix) && typeof meaning === 'string') return meaning;
    }
    const pending = this.#faults.find((f) => f.token === null || f.token === token);
    if (!pending) return null;
    if (--pending.remaining <= 0) this.#faults = this.#faults.filter((f) => f !== pending);
    return pending.fault;
  }

  /** Notifications `token` received on the UTC `day` (counts of other days are dropped). */
  countToday(token: string, day: string): number {
    if (day !== this.#day) {
      this.#counts.clear();
      this.#day = day;
    }
    return this.#counts.get(token) ?? 0;
  }

  /** Count one unauthenticated notification for `token` today (call countToday first). */
  count(token: string): void {
    this.#counts.set(token, (this.#counts.get(token) ?? 0) + 1);
  }

  /** Forget states, faults and counts. */
  reset(): void {
    this.#states.clear();
    this.#faults = [];
    this.#counts.clear();
  }
}
