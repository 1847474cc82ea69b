// What APNs accepts in a request ("Sending notification requests to APNs"). Pure data,
// shared by the client's local checks and the simulator's validation.

/** APNs: the request path is `/3/device/<device token>`. */
export const DEVICE_PATH_PREFIX = '/3/device/';

/** APNs: values of the `apns-push-type` header. */
export const PUSH_TYPES = [
  'alert', 'background', 'voip', 'complication', 'fileprovider', 'mdm', 'location', 'liveactivity', 'pushtotalk',
] as const;
export type PushType = (typeof PUSH_TYPES)[number];

/** APNs: `apns-priority` is 10 (immediately), 5 (power considerations) or 1 (prioritize power). */
export const PRIORITIES = [10, 5, 1] as const;
export type Priority = (typeof PRIORITIES)[number];

/** APNs: the payload may be at most 4 KB, 5 KB for VoIP. */
export const MAX_PAYLOAD_BYTES = 4096;
export const MAX_VOIP_PAYLOAD_BYTES = 5120;

/** APNs: `apns-collapse-id` may be at most 64 bytes. */
export const MAX_COLLAPSE_ID_BYTES = 64;

/** A device token: hexadecimal, at least 64 digits (32 bytes; newer devices may send longer ones). */
export const DEVICE_TOKEN_PATTERN = /^(?:[0-9a-fA-F]{2}){32,}$/;

/** APNs: `apns-id` is a canonical UUID, 8-4-4-4-12 hexadecimal digits. */
export const APNS_ID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A topic (bundle ID or MDM topic): printable ASCII without spaces. */
export const TOPIC_PATTERN = /^[\x21-\x7e]+$/;

/** The largest payload APNs takes for a push type. */
export function maxPayloadBytes(pushType: string | undefined): number {
  return pushType === 'voip' ? MAX_VOIP_PAYLOAD_BYTES : MAX_PAYLOAD_BYTES;
}

/** Request headers APNs reads. */
export const APNS_HEADERS = ['apns-id', 'apns-topic', 'apns-push-type', 'apns-priority', 'apns-expiration', 'apns-collapse-id', 'authorization'] as const;
