import { DEVICE_CONNECTION_STATUS as DEVICE, NOTIFICATION_STATUS as NOTIFICATION, SUBSCRIPTION_STATUS as SUBSCRIPTION } from '../../mpns/protocol.ts';

/** One documented MPNS answer: status code and its custom headers. */
export interface MpnsResponse {
  status: number;
  notificationStatus?: string;
  subscriptionStatus?: string;
  deviceConnectionStatus?: string;
}

/**
 * The header combinations of "Push Notification Service response codes for Windows Phone 8",
 * one per case the simulator can produce.
 */
export const MPNS_RESPONSES = {
  received: { status: 200, notificationStatus: NOTIFICATION.received, subscriptionStatus: SUBSCRIPTION.active, deviceConnectionStatus: DEVICE.connected },
  receivedTempDisconnected: { status: 200, notificationStatus: NOTIFICATION.received, subscriptionStatus: SUBSCRIPTION.active, deviceConnectionStatus: DEVICE.tempDisconnected },
  queueFull: { status: 200, notificationStatus: NOTIFICATION.queueFull, subscriptionStatus: SUBSCRIPTION.active, deviceConnectionStatus: DEVICE.connected },
  suppressed: { status: 200, notificationStatus: NOTIFICATION.suppressed, subscriptionStatus: SUBSCRIPTION.active, deviceConnectionStatus: DEVICE.connected },
  badRequest: { status: 400 },
  unauthorized: { status: 401 },
  forbidden: { status: 403 },
  expired: { status: 404, notificationStatus: NOTIFICATION.dropped, subscriptionStatus: SUBSCRIPTION.expired, deviceConnectionStatus: DEVICE.connected },
  methodNotAllowed: { status: 405 },
  throttled: { status: 406, notificationStatus: NOTIFICATION.dropped, subscriptionStatus: SUBSCRIPTION.active, deviceConnectionStatus: DEVICE.connected },
  inactive: { status: 412, notificationStatus: NOTIFICATION.dropped, deviceConnectionStatus: DEVICE.inactive },
  unavailable: { status: 503 },
} as const satisfies Record<string, MpnsResponse>;

export type MpnsResponseName = keyof typeof MPNS_RESPONSES;
