// The Microsoft Push Notification Service (MPNS) wire protocol, as data. Pure constants: the
// sender and the MPNS simulator both read them, so each protocol fact is written down once.
// Sources: "Sending push notifications for Windows Phone 8", "Push Notification Service
// response codes for Windows Phone 8", the Flip/Cycle/Iconic Tile template pages.

/** The three kinds of MPNS notification. */
export type NotificationKind = 'toast' | 'tile' | 'raw';

/**
 * How soon MPNS delivers: immediately, within 450 s, or within 900 s (the "batching
 * interval" of `X-NotificationClass`).
 */
export type DeliveryInterval = 'immediate' | 450 | 900;

/** Every delivery interval, in the order of the notification-class digits (immediate, 450, 900). */
export const DELIVERY_INTERVALS: readonly DeliveryInterval[] = ['immediate', 450, 900];

/**
 * `X-NotificationClass` values: tile 1/11/21, toast 2/12/22, raw 3/13/23 for
 * immediate / 450 s / 900 s.
 */
export const NOTIFICATION_CLASSES: Readonly<Record<NotificationKind, Readonly<Record<string, number>>>> = {
  tile: { immediate: 1, 450: 11, 900: 21 },
  toast: { immediate: 2, 450: 12, 900: 22 },
  raw: { immediate: 3, 450: 13, 900: 23 },
};

/** `X-WindowsPhone-Target` per kind; raw notifications carry no target header. */
export const WINDOWS_PHONE_TARGETS: Readonly<Record<NotificationKind, string | null>> = {
  toast: 'toast',
  tile: 'token',
  raw: null,
};

/** Request and response header names (lowercase, as Node presents them). */
export const MPNS_HEADERS = {
  messageId: 'x-messageid',
  notificationClass: 'x-notificationclass',
  target: 'x-windowsphone-target',
  notificationStatus: 'x-notificationstatus',
  subscriptionStatus: 'x-subscriptionstatus',
  deviceConnectionStatus: 'x-deviceconnectionstatus',
} as const;

/** MPNS rejects a notification whose body is larger than 3 KB. */
export const MAX_PAYLOAD_BYTES = 3072;

/** Unauthenticated (HTTP) web services may send 500 notifications per subscription per UTC day. */
export const UNAUTHENTICATED_DAILY_LIMIT = 500;

/** Channel URIs are at most 1,024 characters. */
export const MAX_CHANNEL_URI_LENGTH = 1024;

/** The host pattern of real MPNS channel URIs (e.g. `db3.notify.live.net`). */
export const MPNS_HOST_PATTERN = '*.notify.live.net';

/**
 * Path prefixes of channel URIs: unauthenticated channels are `http://…/throttledthirdparty/01.00/<token>`,
 * authenticated ones `https://…/unthrottledthirdparty/01.00/<token>`.
 */
export const CHANNEL_PATHS = {
  throttled: '/throttledthirdparty/01.00/',
  unthrottled: '/unthrottledthirdparty/01.00/',
} as const;

/** `X-NotificationStatus` values. */
export const NOTIFICATION_STATUS = {
  received: 'Received',
  queueFull: 'QueueFull',
  suppressed: 'Suppressed',
  dropped: 'Dropped',
} as const;

/** `X-SubscriptionStatus` values. */
export const SUBSCRIPTION_STATUS = {
  active: 'Active',
  expired: 'Expired',
} as const;

/** `X-DeviceConnectionStatus` values. */
export const DEVICE_CONNECTION_STATUS = {
  connected: 'Connected',
  tempDisconnected: 'TempDisconnected',
  disconnected: 'Disconnected',
  inactive: 'Inactive',
} as const;

/** The XML namespace every toast and tile payload declares as `xmlns:wp`. */
export const WP_NAMESPACE = 'WPNotification';

/** Windows Phone 8 tile templates; they need `Version="2.0"` on `wp:Notification`. */
export const TILE_TEMPLATES = ['FlipTile', 'CycleTile', 'IconicTile'] as const;
export type TileTemplate = (typeof TILE_TEMPLATES)[number];

/** The `Version` attribute Windows Phone 8 templates require. */
export const WP8_NOTIFICATION_VERSION = '2.0';

/** Child elements of `wp:Toast`, in documented order. */
export const TOAST_ELEMENTS = ['Text1', 'Text2', 'Param', 'Sound'] as const;

/** Cycle tiles show between one and nine images (`CycleImage1` … `CycleImage9`). */
export const MAX_CYCLE_IMAGES = 9;

/**
 * Child elements of `wp:Tile` per template, in documented order. `legacy` is the Windows
 * Phone OS 7.1 tile (no `Template` attribute).
 */
export const TILE_ELEMENTS: Readonly<Record<TileTemplate | 'legacy', readonly string[]>> = {
  legacy: ['BackgroundImage', 'Count', 'Title', 'BackBackgroundImage', 'BackTitle', 'BackContent'],
  FlipTile: [
    'SmallBackgroundImage', 'WideBackgroundImage', 'WideBackBackgroundImage', 'WideBackContent',
    'BackgroundImage', 'Count', 'Title', 'BackBackgroundImage', 'BackTitle', 'BackContent',
  ],
  CycleTile: [
    'SmallBackgroundImage',
    ...Array.from({ length: MAX_CYCLE_IMAGES }, (_, i) => `CycleImage${i + 1}`),
    'Count', 'Title',
  ],
  IconicTile: ['SmallIconImage', 'IconImage', 'WideContent1', 'WideContent2', 'WideContent3', 'Count', 'Title', 'BackgroundColor'],
};

/** The only `Action` an element may carry: it resets that property of the tile. */
export const CLEAR_ACTION = 'Clear';
