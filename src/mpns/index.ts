// certpush's MPNS client as the `mpns` namespace of the library (src/index.ts): payloads, the
// sender, outcomes, the daily quota, the channel URI guard and the authenticated web service's
// certificate check. Named, not `export *`: request headers, body encoding, XML escaping and
// response mapping stay inside.

// The sender.
export { DEFAULT_CONCURRENCY, DEFAULT_MAX_SOCKETS, DEFAULT_TIMEOUT_MS, MpnsSender } from './sender.ts';
export type { MpnsSendOptions, MpnsSenderOptions } from './sender.ts';

// Notifications: toast, tile (every template), raw; rendered XML for previews.
export type { MpnsNotification } from './payload.ts';
export { toastXml } from './toast.ts';
export type { Toast } from './toast.ts';
export { parseTile, tileXml } from './tile.ts';
export type { CycleTile, FlipTile, IconicTile, LegacyTile, Tile, TileProperty } from './tile.ts';
export type { RawNotification } from './raw.ts';
export { notificationClass, parseDeliveryInterval } from './headers.ts';

// The protocol's vocabulary and limits.
export {
  CHANNEL_PATHS, CLEAR_ACTION, DELIVERY_INTERVALS, DEVICE_CONNECTION_STATUS, MAX_CHANNEL_URI_LENGTH, MAX_CYCLE_IMAGES, MAX_PAYLOAD_BYTES,
  MPNS_HOST_PATTERN, NOTIFICATION_CLASSES, NOTIFICATION_STATUS, SUBSCRIPTION_STATUS, TILE_ELEMENTS, TILE_TEMPLATES, TOAST_ELEMENTS,
  UNAUTHENTICATED_DAILY_LIMIT, WINDOWS_PHONE_TARGETS, WP8_NOTIFICATION_VERSION, WP_NAMESPACE,
} from './protocol.ts';
export type { DeliveryInterval, NotificationKind, TileTemplate } from './protocol.ts';

// Outcomes and retry timing.
export { DEVICE_INACTIVE_RETRY_MS, MAX_BACKOFF_MS, minuteBackoffMs, THROTTLE_RETRY_MS } from './outcome.ts';
export type { MpnsReason, MpnsResponseStatus, MpnsResult, OutcomeClass } from './outcome.ts';

// The unauthenticated daily quota, with a pluggable store.
export { DailyQuota, nextUtcMidnight, utcDay } from './quota.ts';
export type { QuotaDecision, QuotaStore } from './quota.ts';
export { MemoryQuotaStore } from './memory-quota-store.ts';

// Which channel URIs are sent to, and the authenticated web service's certificate.
export { ChannelUriGuard, checkChannelUri, DEFAULT_ALLOWED_HOSTS } from './channel-uri-guard.ts';
export { checkMpnsCredential, EXPIRY_WARNING_DAYS } from './credential-check.ts';
export type { MpnsCredentialReport } from './credential-check.ts';
