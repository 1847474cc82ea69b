// The simulator's own reading of Apple's request table ("Sending notification requests to
// APNs"): what a request must look like. Written apart from the client's rules
// (src/apns/request-rules.ts) on purpose — the two are compared, never shared.

/** :path is /3/device/<device token>. */
export const DEVICE_PATH = '/3/device/';

/** apns-push-type values Apple lists. */
export const APPLE_PUSH_TYPES: ReadonlySet<string> = new Set([
  'alert', 'background', 'location', 'voip', 'complication', 'fileprovider', 'mdm', 'liveactivity', 'pushtotalk',
]);

/** apns-priority: 10 (send now), 5 (power considerations), 1 (prioritize the device's power). */
export const APPLE_PRIORITIES: ReadonlySet<string> = new Set(['10', '5', '1']);

/** Payload limits, bytes: 4 KB; 5 KB for VoIP pushes. */
export const PAYLOAD_LIMIT = 4 * 1024;
export const VOIP_PAYLOAD_LIMIT = 5 * 1024;

/** apns-collapse-id: at most 64 bytes. */
export const COLLAPSE_ID_LIMIT = 64;

/** A device token is 32 bytes (newer devices may have longer ones), sent as hexadecimal. */
export const MIN_DEVICE_TOKEN_BYTES = 32;

/** The request headers APNs reads; each at most once (DuplicateHeaders). */
export const APPLE_REQUEST_HEADERS = ['apns-id', 'apns-topic', 'apns-push-type', 'apns-priority', 'apns-expiration', 'apns-collapse-id', 'authorization'] as const;

/** apns-id: a canonical UUID, 32 hexadecimal digits in groups 8-4-4-4-12. */
export function isCanonicalUuid(value: string): boolean {
  const groups = value.split('-');
  if (groups.length !== 5) return false;
  const lengths = [8, 4, 4, 4, 12];
  return groups.every((g, i) => g.length === lengths[i] && isHex(g));
}

/** A device token: an even number of hexadecimal digits, at least 32 bytes' worth. */
export function isDeviceToken(value: string): boolean {
  return value.length >= MIN_DEVICE_TOKEN_BYTES * 2 && value.length % 2 === 0 && isHex(value);
}

/** apns-expiration: a UNIX time in whole seconds (0: deliver once or not at all). */
export function isExpiration(value: string): boolean {
  return value.length > 0 && value.length <= 15 && [...value].every((c) => c >= '0' && c <= '9');
}

/** apns-topic: a bundle ID (or an MDM topic), printable ASCII with no spaces. */
export function isTopic(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

function isHex(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const digit = c >= 0x30 && c <= 0x39;
    const letter = (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
    if (!digit && !letter) return false;
  }
  return true;
}
