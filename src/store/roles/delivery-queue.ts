import type { ClaimedDelivery, ClaimOptions, DeliveryUpdate } from '../deliveries.ts';
import type { Platform } from '../devices.ts';
import type { CreateOptions, FeedResult, NewNotification, Notification } from '../notifications.ts';
import type { QueueSignal } from '../queue-signal.ts';
import type { DeliveryState } from '../schema.ts';

/** One device's result for a notification, as the API pages through them. */
export interface DeliveryResult {
  id: number;
  deviceId: string;
  /** Null when the device was deleted after the fan-out. */
  platform: Platform | null;
  token: string | null;
  state: DeliveryState;
  attempts: number;
  lastClass: string | null;
  lastStatus: number | null;
  lastReason: string | null;
  updatedAt: number;
  nextAttemptAt: number;
}

/**
 * Role: notifications and their fan-out into one queued delivery row per device, the results,
 * and completion. Implemented by `notificationsRepository` (src/store/notifications.ts).
 */
export interface NotificationStore {
  /**
   * Create the notification and its pending delivery rows in one transaction (all or none),
   * with the audit entry and the workers' wake-up `options` name. An `all` fan-out queues its
   * first slice; `feed` queues the rest.
   */
  create(input: NewNotification, now?: number, options?: CreateOptions): Promise<Notification>;
  get(tenantId: string, id: string): Promise<Notification | undefined>;
  byIdempotencyKey(tenantId: string, key: string): Promise<Notification | undefined>;
  /** The tenant's latest notifications, newest first. */
  list(tenantId: string, limit?: number): Promise<Notification[]>;
  /** Kept delivery rows of the notification `seq`, counted by state and last outcome class. */
  counts(seq: number): Promise<Array<{ state: string; lastClass: string | null; n: number }>>;
  /** Delivered rows per second. */
  timeline(seq: number): Promise<Array<{ second: number; n: number }>>;
  /** One page of per-device results, in row id order after `after`. */
  results(seq: number, after: number, limit: number): Promise<DeliveryResult[]>;
  /** Of `ids`, mark those with no row left in the queue and none left to feed completed; returns the ones completed now. */
  completeFinished(ids: string[], now?: number): Promise<Notification[]>;
  /**
   * Queue the next slice of each fan-out being fed (of `ids`, or every one) whose queue has run
   * below half a slice, each in one transaction, safe with any number of feeders at once.
   */
  feed(ids?: string[], now?: number, options?: { queue?: QueueSignal }): Promise<FeedResult>;
}

/**
 * Role: the delivery queue — rows leased by workers, finished with their outcome (a retry stays
 * queued, a final outcome moves to the results). Implemented by `deliveriesRepository`
 * (src/store/deliveries.ts).
 */
export interface DeliveryStore {
  /** Lease up to `options.limit` due rows, shared fairly between tenants; a lease that lapses makes its rows due again. */
  claim(options: ClaimOptions): Promise<ClaimedDelivery[]>;
  /** Record attempts' outcomes, all in one transaction; a final outcome is recorded once however many workers report it. */
  finish(updates: DeliveryUpdate[], now?: number): Promise<void>;
  /** Rows still to be sent, due now or later. */
  backlog(): Promise<number>;
}

/** The part of the store the delivery engine works from, with the signal that wakes it. */
export interface DeliveryQueueRole {
  readonly notifications: NotificationStore;
  readonly deliveries: DeliveryStore;
  /** Wakes delivery workers when rows are queued (PostgreSQL: across processes). */
  readonly queue: QueueSignal;
}
