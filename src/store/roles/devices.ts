import type { Device, DeviceFilter, DeviceInput, DevicePageJson } from '../devices.ts';
import type { AppliedChange, EnrollmentChange } from '../enrollments.ts';

/**
 * Role: the tenants' devices (APNs tokens, MPNS channel URIs, MDM enrollments), unique by
 * (tenant, platform, token). Implemented by `devicesRepository` (src/store/devices.ts).
 */
export interface DeviceStore {
  /** Insert or update by (tenant, platform, token); a device registered again is active again. One row per distinct device. */
  upsertMany(tenantId: string, inputs: DeviceInput[], now?: number): Promise<Device[]>;
  /** As upsertMany, all or nothing in one transaction; returns how many distinct devices were written. */
  importAll(tenantId: string, inputs: DeviceInput[], now?: number): Promise<number>;
  get(tenantId: string, id: string): Promise<Device | undefined>;
  /** Of `ids`, the devices that belong to the tenant. */
  existing(tenantId: string, ids: string[]): Promise<Device[]>;
  /** One page in id order (`filter.after` is the previous page's last id). */
  list(tenantId: string, filter: DeviceFilter): Promise<Device[]>;
  /** A page as `list` gives it (`filter.limit` is the page size) as the API shows it, with `count`, as JSON text the database wrote: one round trip. */
  pageJson(tenantId: string, filter: DeviceFilter): Promise<DevicePageJson>;
  count(tenantId: string): Promise<{ total: number; invalid: number }>;
  remove(tenantId: string, id: string): Promise<boolean>;
  /**
   * Stop sending to these devices (each named with its tenant), with the reason. With `since`
   * (APNs 410's timestamp) a device registered again at or after it is left alone. Returns the
   * ids marked now.
   */
  markInvalid(devices: ReadonlyArray<{ tenantId: string; deviceId: string }>, reason: string, at?: number, since?: number): Promise<string[]>;
}

/**
 * Role: MDM enrollments as check-ins change them — each check-in event applied once — and the
 * tenant's sealed check-in webhook secret. Implemented by `enrollmentsRepository`.
 */
export interface EnrollmentStore {
  /** The tenant's devices with these enrollment ids. */
  byEnrollmentIds(tenantId: string, ids: readonly string[]): Promise<Device[]>;
  /** Apply one check-in in one transaction; an event id seen before changes nothing (`replayed`). */
  apply(tenantId: string, event: { eventId: string; topic: string }, change: EnrollmentChange, now?: number): Promise<AppliedChange>;
  /** The sealed check-in webhook secret, if one was set. */
  secret(tenantId: string): Promise<string | undefined>;
  setSecret(tenantId: string, secretSealed: string, now?: number): Promise<void>;
}

/** The part of the store that knows the tenants' devices. */
export interface DevicesRole {
  readonly devices: DeviceStore;
  readonly enrollments: EnrollmentStore;
}
