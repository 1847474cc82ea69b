import type { Device } from '../store/devices.ts';

/** A device as the API shows it: MPNS devices show their channel URI, others their token. */
export function deviceView(d: Device) {
  return {
    id: d.id,
    platform: d.platform,
    ...(d.platform === 'mpns' ? { channelUri: d.token } : { token: d.token }),
    ...(d.pushMagic !== null ? { pushMagic: d.pushMagic } : {}),
    ...(d.topic !== null ? { topic: d.topic } : {}),
    ...(d.enrollmentId !== null ? { enrollmentId: d.enrollmentId } : {}),
    status: d.invalidAt === null ? 'active' : 'invalid',
    invalidAt: d.invalidAt === null ? null : new Date(d.invalidAt).toISOString(),
    invalidReason: d.invalidReason,
    createdAt: new Date(d.createdAt).toISOString(),
    updatedAt: new Date(d.updatedAt).toISOString(),
  };
}
