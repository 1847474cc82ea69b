import { type Kysely, sql, type Transaction } from 'kysely';
import { CertpushError } from '../errors.ts';
import { type DeviceTokenKey, deviceTokenKey } from './device-token-key.ts';
import type { Device } from './devices.ts';
import { newId } from './ids.ts';
import type { Dialect } from './migrations.ts';
import type { Schema } from './schema.ts';
import type { EnrollmentStore } from './roles/devices.ts';

/** What one check-in does to the tenant's enrollments. */
export type EnrollmentChange =
  /** TokenUpdate: the enrollment's token, PushMagic and topic, active again. */
  | { kind: 'token-update'; enrollmentId: string; token: string; pushMagic: string; topic: string }
  /** CheckOut: the device left MDM; nothing is pushed to it (or its user channels) again until a TokenUpdate. */
  | { kind: 'check-out'; enrollmentId: string }
  /** Authenticate of a known device: it is enrolling again, its token is stale until the TokenUpdate. */
  | { kind: 'authenticate'; enrollmentId: string }
  /** Acknowledged, nothing to change (other check-in types). */
  | { kind: 'none'; enrollmentId: string | null };

export interface AppliedChange {
  /** True when this event id was applied before: nothing was changed now. */
  replayed: boolean;
  /** The enrollment's device row after the change (token-update), when there is one. */
  device: Device | null;
  /** Rows the change touched. */
  changed: number;
}

/** Why a device row is not pushed to, as stored in invalid_reason. */
export const CHECKED_OUT = 'CheckedOut';
export const REENROLLING = 'Reenrolling';

/** Rows per IN (…): well under both databases' parameter limits. */
const BATCH = 500;

/** MDM enrollments: device rows keyed by enrollment id, changed by check-ins, each event once. */
export function enrollmentsRepository(db: Kysely<Schema>, dialect: Dialect): EnrollmentStore {
  const key = deviceTokenKey(dialect);
  return {
    /** The tenant's devices with these enrollment ids. */
    async byEnrollmentIds(tenantId: string, ids: readonly string[]): Promise<Device[]> {
      const out: Device[] = [];
      for (let i = 0; i < ids.length; i += BATCH) {
        out.push(...await db.selectFrom('devices').selectAll().where('tenantId', '=', tenantId).where('enrollmentId', 'in', ids.slice(i, i + BATCH)).execute());
      }
      return out;
    },

    /**
     * Apply one check-in event in one transaction: record its event id (a replay finds it and
     * changes nothing) and change the enrollment.
     */
    async apply(tenantId: string, event: { eventId: string; topic: string }, change: EnrollmentChange, now = Date.now()): Promise<AppliedChange> {
      // Events that change nothing (mdm.Connect, UserAuthenticate, …) are the bulk of an MDM
      // server's webhooks: they are not recorded, since replaying them changes nothing either.
      if (change.kind === 'none') return { replayed: false, device: null, changed: 0 };
      return db.transaction().execute(async (tx) => {
        const recorded = await tx.insertInto('mdmCheckinEvents')
          .values({ tenantId, eventId: event.eventId, topic: event.topic, enrollmentId: change.enrollmentId, receivedAt: now })
          .onConflict((oc) => oc.columns(['tenantId', 'eventId']).doNothing())
          .returning('eventId')
          .executeTakeFirst();
        if (!recorded) return { replayed: true, device: null, changed: 0 };
        switch (change.kind) {
          case 'token-update': {
            const device = await upsertEnrollment(tx, key, tenantId, change, now);
            return { replayed: false, device, changed: 1 };
          }
          case 'check-out':
            return { replayed: false, device: null, changed: await stopEnrollment(tx, tenantId, change.enrollmentId, CHECKED_OUT, now) };
          case 'authenticate':
            return { replayed: false, device: null, changed: await stopEnrollment(tx, tenantId, change.enrollmentId, REENROLLING, now) };
          default:
            return { replayed: false, device: null, changed: 0 };
        }
      });
    },

    async secret(tenantId: string): Promise<string | undefined> {
      return (await db.selectFrom('mdmCheckinSecrets').select('secretSealed').where('tenantId', '=', tenantId).executeTakeFirst())?.secretSealed;
    },
    async setSecret(tenantId: string, secretSealed: string, now = Date.now()): Promise<void> {
      await db.insertInto('mdmCheckinSecrets').values({ tenantId, secretSealed, updatedAt: now })
        .onConflict((oc) => oc.column('tenantId').doUpdateSet({ secretSealed, updatedAt: now })).execute();
    },
  };
}

async function upsertEnrollment(tx: Transaction<Schema>, key: DeviceTokenKey, tenantId: string, change: Extract<EnrollmentChange, { kind: 'token-update' }>, now: number): Promise<Device> {
  const mine = await tx.selectFrom('devices').selectAll().where('tenantId', '=', tenantId).where('enrollmentId', '=', change.enrollmentId).executeTakeFirst();
  const holder = await tx.selectFrom('devices').selectAll().where('tenantId', '=', tenantId).where('platform', '=', 'mdm').where((eb) => key.sameKey(eb, change.token)).executeTakeFirst();
  if (holder && holder.token !== change.token) {
    throw new CertpushError('DEVICE_TOKEN_COLLISION', `The TokenUpdate's token "${change.token}" for enrollment ${change.enrollmentId} has the same digest as the token of device ${holder.id} of tenant ${tenantId}, so it cannot be stored beside it (nothing was merged, and the check-in was not recorded). Remove that device and send the check-in again.`);
  }
  const values = { token: change.token, pushMagic: change.pushMagic, topic: change.topic, enrollmentId: change.enrollmentId, invalidAt: null, invalidReason: null, updatedAt: now };
  let target = mine ?? holder;
  if (mine && holder && holder.id !== mine.id) {
    // A token belongs to one device. Another row holding it is this device under an old
    // registration (by the API, or a previous enrollment): it goes, this enrollment keeps it.
    await tx.deleteFrom('devices').where('tenantId', '=', tenantId).where('id', '=', holder.id).execute();
  }
  if (target) {
    return tx.updateTable('devices').set(values).where('tenantId', '=', tenantId).where('id', '=', target.id).returningAll().executeTakeFirstOrThrow();
  }
  return tx.insertInto('devices').values({ id: newId('dev'), tenantId, platform: 'mdm', createdAt: now, ...values }).returningAll().executeTakeFirstOrThrow();
}

/** Stop pushing to an enrollment and its user channels ("<id>:<user>"). */
async function stopEnrollment(tx: Transaction<Schema>, tenantId: string, enrollmentId: string, reason: string, now: number): Promise<number> {
  const prefix = `${enrollmentId}:`;
  const result = await tx.updateTable('devices')
    .set({ invalidAt: now, invalidReason: reason, pushMagic: null, updatedAt: now })
    .where('tenantId', '=', tenantId)
    .where((eb) => eb.or([eb('enrollmentId', '=', enrollmentId), eb(sql<string>`substr(enrollment_id, 1, ${prefix.length})`, '=', prefix)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
